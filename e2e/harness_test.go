package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/auth"
	"github.com/trellisgw/trellis/internal/demoupstreams"
)

// metrics reads what the gateway's instruments recorded: the tests install the OpenTelemetry SDK as
// the global meter provider, which the gateway's instruments (OpenTelemetry API only) report to.
var metrics = sdkmetric.NewManualReader()

// spans records the spans of requests that arrive with a sampled traceparent (the telemetry tests send
// one: tracedHeaders); other requests are not recorded, as in production without a trace endpoint, so
// that benchmarks do not measure span recording.
var spans = tracetest.NewSpanRecorder()

func TestMain(m *testing.M) {
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics)))
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample()))))
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	goleak.VerifyTestMain(m)
}

// counterValue returns the sum of the Int64 counter called name over all attributes, 0 when unset.
func counterValue(t *testing.T, name string) int64 {
	t.Helper()
	return counterWhere(t, name, nil)
}

// counterWhere sums the Int64 counter name over the data points whose attributes include want.
func counterWhere(t *testing.T, name string, want map[string]string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || m.Name != name {
				continue
			}
		points:
			for _, dp := range sum.DataPoints {
				for k, v := range want {
					if got, ok := dp.Attributes.Value(attribute.Key(k)); !ok || got.AsString() != v {
						continue points
					}
				}
				total += dp.Value
			}
		}
	}
	return total
}

// env is one running sample cluster with a gateway in front of it.
type env struct {
	cluster *demo.Cluster
	gateway *gateway.Gateway
	server  *httptest.Server
	admin   *httptest.Server // the admin surface (server.admin_addr's handler)
	index   *data.Index
	logs    *logBuffer // everything the gateway logged, at debug level, as slog JSON
}

// logBuffer collects log output; it is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was logged so far.
func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newEnv starts the sample services with the default data set and a gateway over them; both stop at
// the end of the test.
func newEnv(t testing.TB, tweak ...func(*gateway.Config)) *env {
	t.Helper()
	return newEnvWithData(t, data.DefaultConfig(), tweak...)
}

// newEnvWithData is newEnv over the data set dcfg.
func newEnvWithData(t testing.TB, dcfg data.Config, tweak ...func(*gateway.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cluster, err := demo.Start(ctx, demo.Config{Data: dcfg})
	if err != nil {
		t.Fatalf("start sample services: %v", err)
	}
	t.Cleanup(func() {
		if err := cluster.Close(); err != nil {
			t.Errorf("close sample services: %v", err)
		}
	})

	cfg := gateway.DefaultConfig()
	demoupstreams.Point(&cfg.Upstreams, cluster)
	for _, f := range tweak {
		f(&cfg)
	}
	logs := &logBuffer{}
	gw, err := gateway.New(cfg, gateway.WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	srv := httptest.NewServer(gw.Handler())
	admin := httptest.NewServer(gw.AdminHandler())
	t.Cleanup(func() {
		srv.Close()
		admin.Close()
		if err := gw.Close(); err != nil {
			t.Errorf("close gateway: %v", err)
		}
	})
	return &env{cluster: cluster, gateway: gw, server: srv, admin: admin, index: data.NewIndex(data.Generate(dcfg)), logs: logs}
}

// token returns a bearer token of user id with scopes, signed with the development secret that the
// gateway accepts in development mode, as `gateway token` mints it.
func token(t testing.TB, id string, scopes ...string) string {
	t.Helper()
	tok, err := auth.MintHS256([]byte(auth.DevSecret), auth.TokenClaims{Subject: id, Scopes: scopes, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// bearer returns the headers of a request signed in as user id with scopes.
func bearer(t testing.TB, id string, scopes ...string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token(t, id, scopes...)}}
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// response is a GraphQL response with its HTTP status and raw body.
type response struct {
	Status int
	Header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Raw    []byte
}

// query posts a GraphQL request and decodes the response. as, when not empty, is the id of the user
// the request is signed in as (a real token, see token).
func (e *env) query(t *testing.T, as, query string, vars map[string]any) response {
	t.Helper()
	var hdr http.Header
	if as != "" {
		hdr = bearer(t, as)
	}
	return e.queryWith(t, hdr, query, vars)
}

// queryWith posts a GraphQL request with the headers hdr and decodes the response.
func (e *env) queryWith(t *testing.T, hdr http.Header, query string, vars map[string]any) response {
	t.Helper()
	return e.queryAt(t, e.server.URL, hdr, query, vars)
}

// queryAt is queryWith against the gateway at url (e.g. a second instance, env.secondGateway).
func (e *env) queryAt(t *testing.T, url string, hdr http.Header, query string, vars map[string]any) response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.server.Client().Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, raw)
	}
	return out
}

// decode unmarshals the response's data into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("data: %v: %s", err, r.Data)
	}
}

// newIndex indexes the default data set, as the services generate it.
func newIndex() *data.Index { return data.NewIndex(data.Generate(data.DefaultConfig())) }
