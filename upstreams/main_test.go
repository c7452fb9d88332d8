package upstreams_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/internal/demoupstreams"
	"github.com/trellisgw/trellis/upstreams"
)

// metrics reads what the clients' instruments (OpenTelemetry API) recorded: the tests install the
// SDK as the global meter provider.
var metrics = sdkmetric.NewManualReader()

func TestMain(m *testing.M) {
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics)))
	goleak.VerifyTestMain(m)
}

// env is a running sample cluster, the typed clients pointed at it, and the index of the same data
// set for expected answers.
type env struct {
	cluster *demo.Cluster
	clients *upstreams.Clients
	ix      *data.Index
}

// startEnv starts the sample services on random loopback ports with the data set dataCfg (zero
// fields default) and builds the clients with opts; mutate, when not nil, may change the clients'
// config. Everything is closed when the test ends.
func startEnv(t *testing.T, dataCfg data.Config, mutate func(*upstreams.Config), opts ...upstreams.Option) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := demo.Start(ctx, demo.Config{Data: dataCfg})
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	var cfg upstreams.Config
	demoupstreams.Point(&cfg, cl)
	if mutate != nil {
		mutate(&cfg)
	}
	clients, err := upstreams.New(cfg, opts...)
	if err != nil {
		t.Fatalf("upstreams.New: %v", err)
	}
	t.Cleanup(func() {
		if err := clients.Close(); err != nil {
			t.Errorf("Clients.Close: %v", err)
		}
	})
	return &env{cluster: cl, clients: clients, ix: data.NewIndex(data.Generate(dataCfg))}
}

// testCtx returns a context that bounds one test's calls.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Faults the tests inject: every call fails as unavailable; every call is slower than any client
// timeout the tests set (the services end the latency early when the client gives up); the instance
// is down.
func faultErrors() faults.Fault  { return faults.Fault{ErrorRate: 1} }
func faultLatency() faults.Fault { return faults.Fault{Latency: 10 * time.Second} }
func faultDown() faults.Fault    { return faults.Fault{Down: true} }
