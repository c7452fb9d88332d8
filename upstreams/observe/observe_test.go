package observe_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/calltrace"
	"github.com/trellisgw/trellis/upstreams/observe"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

func TestAttempt(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	spans := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))

	in, err := observe.New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = in.Close() }()
	pool, err := balancer.NewPool(balancer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pool.Update([]string{"10.0.0.1:80", "10.0.0.2:80"})
	pool.SetHealthy("10.0.0.2:80", false)
	in.Watch("accounts", pool, func() int { return 2 })

	rec := calltrace.NewRecorder(time.Now())
	ctx := calltrace.NewContext(calltrace.WithBatchSize(context.Background(), 7), rec)
	_, a := in.Start(ctx, "accounts", "GET /users", 2, "10.0.0.1:80")
	a.SetStatus(503, false)
	a.End(&upstreamerr.Error{Code: upstreamerr.Unavailable})
	in.Retried(ctx, "accounts", "GET /users")
	in.Ejected("accounts", "10.0.0.1:80")

	ended := spans.Ended()
	if len(ended) != 1 || ended[0].Name() != "GET /users" {
		t.Fatalf("spans %v, want one named GET /users", ended)
	}
	attrs := map[attribute.Key]attribute.Value{}
	for _, kv := range ended[0].Attributes() {
		attrs[kv.Key] = kv.Value
	}
	for k, want := range map[attribute.Key]string{
		"trellis.upstream": "accounts", "server.address": "10.0.0.1", "trellis.route": "GET /users", "error.type": "UPSTREAM_UNAVAILABLE",
	} {
		if attrs[k].AsString() != want {
			t.Errorf("span %s = %q, want %q", k, attrs[k].AsString(), want)
		}
	}
	for k, want := range map[attribute.Key]int64{"server.port": 80, "trellis.attempt": 2, "trellis.batch_size": 7, "http.response.status_code": 503} {
		if attrs[k].AsInt64() != want {
			t.Errorf("span %s = %d, want %d", k, attrs[k].AsInt64(), want)
		}
	}
	calls := rec.Calls()
	if len(calls) != 1 || calls[0].Attempt != 2 || calls[0].Instance != "10.0.0.1:80" || calls[0].BatchSize != 7 || calls[0].Code != "UPSTREAM_UNAVAILABLE" {
		t.Errorf("call trace %+v", calls)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					got[m.Name+key(dp.Attributes)] += dp.Value
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					got[m.Name+key(dp.Attributes)] = dp.Value
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					got[m.Name+key(dp.Attributes)] = int64(dp.Count)
				}
			}
		}
	}
	for k, want := range map[string]int64{
		"trellis.upstream.requests{code=UPSTREAM_UNAVAILABLE,instance=10.0.0.1:80,route=GET /users,upstream=accounts}": 1,
		"trellis.upstream.duration{code=UPSTREAM_UNAVAILABLE,instance=10.0.0.1:80,route=GET /users,upstream=accounts}": 1,
		"trellis.upstream.retries{route=GET /users,upstream=accounts}":                                                 1,
		"trellis.upstream.ejections{instance=10.0.0.1:80,upstream=accounts}":                                           1,
		"trellis.upstream.instance.healthy{instance=10.0.0.1:80,upstream=accounts}":                                    1,
		"trellis.upstream.instance.healthy{instance=10.0.0.2:80,upstream=accounts}":                                    0,
		"trellis.upstream.in_flight{instance=10.0.0.1:80,upstream=accounts}":                                           0,
		"trellis.upstream.breaker.state{upstream=accounts}":                                                            2,
	} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s = %d (present %v), want %d", k, v, ok, want)
		}
	}
}

// key renders attributes as {k=v,...} in key order.
func key(s attribute.Set) string {
	out := "{"
	for i, kv := range s.ToSlice() {
		if i > 0 {
			out += ","
		}
		out += string(kv.Key) + "=" + kv.Value.Emit()
	}
	return out + "}"
}
