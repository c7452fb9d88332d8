package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/telemetry/requestid"
	"github.com/trellisgw/trellis/upstreams/calltrace"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fixture struct {
	tel   *Telemetry
	spans *tracetest.SpanRecorder
	rd    *sdkmetric.ManualReader
	logs  *bytes.Buffer
}

func newFixture(t *testing.T, production bool) *fixture {
	t.Helper()
	f := &fixture{spans: tracetest.NewSpanRecorder(), rd: sdkmetric.NewManualReader(), logs: &bytes.Buffer{}}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.rd))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	log := slog.New(WrapHandler(slog.NewJSONHandler(f.logs, nil)))
	tel, err := New(Config{}, WithFanOutPlan(!production), WithLogger(log), WithTracerProvider(tp),
		WithMeterProvider(mp), WithPropagator(propagation.TraceContext{}))
	if err != nil {
		t.Fatal(err)
	}
	f.tel = tel
	return f
}

// sum returns the int64 sum or gauge of name with the attributes attrs.
func (f *fixture) sum(t *testing.T, name string, attrs ...attribute.KeyValue) (int64, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := f.rd.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	want := attribute.NewSet(attrs...)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name {
				for _, dp := range s.DataPoints {
					if dp.Attributes.Equals(&want) {
						return dp.Value, true
					}
				}
			}
		}
	}
	return 0, false
}

func TestMiddlewareOutsideGraphQL(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		inID        string
		wantOutcome string
		wantLevel   string
	}{
		{"refused body", http.StatusRequestEntityTooLarge, "", OutcomeError, "INFO"},
		{"server failure", http.StatusInternalServerError, "client-id-1", OutcomeError, "WARN"},
		{"nothing written", 0, "", OutcomeError, "INFO"}, // no GraphQL response was made
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, false)
			h := f.tel.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calltrace.Record(r.Context(), calltrace.Call{Upstream: "accounts"})
				calltrace.Record(r.Context(), calltrace.Call{Upstream: "accounts", BatchSize: 3, CacheHit: true})
				slog.New(WrapHandler(slog.NewJSONHandler(f.logs, nil))).ErrorContext(r.Context(), "inner")
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
			}))
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			if tt.inID != "" {
				req.Header.Set(requestid.Header, tt.inID)
			}
			req.Header.Set("Authorization", "Bearer secret-token-value")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			id := rec.Header().Get(requestid.Header)
			if tt.inID != "" && id != tt.inID || !requestid.Valid(id) {
				t.Errorf("X-Request-Id = %q", id)
			}
			if n, _ := f.sum(t, "trellis.graphql.requests", attribute.String("operation", OperationUnknown),
				attribute.String("outcome", tt.wantOutcome)); n != 1 {
				t.Errorf("requests{unknown,%s} = %d, want 1", tt.wantOutcome, n)
			}
			if n, ok := f.sum(t, "trellis.graphql.in_flight"); !ok || n != 0 {
				t.Errorf("in_flight = %d (%v), want 0", n, ok)
			}
			ended := f.spans.Ended()
			if len(ended) != 1 || ended[0].Name() != "POST /graphql" {
				t.Fatalf("spans %v, want the server span", ended)
			}
			traceID := ended[0].SpanContext().TraceID().String()

			lines := bytes.Split(bytes.TrimSpace(f.logs.Bytes()), []byte("\n"))
			if len(lines) != 2 {
				t.Fatalf("%d log lines, want the inner one and the access line:\n%s", len(lines), f.logs)
			}
			for _, line := range lines {
				var m map[string]any
				if err := json.Unmarshal(line, &m); err != nil {
					t.Fatal(err)
				}
				if m["request_id"] != id || m["trace_id"] != traceID {
					t.Errorf("line %s lacks request_id %s or trace_id %s", line, id, traceID)
				}
				if m["msg"] == "access" && (m["level"] != tt.wantLevel || m["upstream_calls"] != float64(1) || m["cache_keys"] != float64(3) || m["outcome"] != tt.wantOutcome) {
					t.Errorf("access line %s", line)
				}
			}
			if bytes.Contains(f.logs.Bytes(), []byte("secret-token")) {
				t.Errorf("the token reached the log:\n%s", f.logs)
			}
		})
	}
}

func TestHandlerPassesOtherPathsThrough(t *testing.T) {
	f := newFixture(t, false)
	h := f.tel.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusTeapot || rec.Header().Get(requestid.Header) != "" || len(f.spans.Ended()) != 0 {
		t.Errorf("GET /healthz: %d, id %q, %d spans: want it untouched", rec.Code, rec.Header().Get(requestid.Header), len(f.spans.Ended()))
	}
}

// Counting a request allocates nothing: the attribute options are made once per operation name.
func TestCountAllocatesNothing(t *testing.T) {
	tel, err := New(Config{}, WithMeterProvider(metricnoop.NewMeterProvider()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, op := context.Background(), tel.names.get("Small")
	if n := testing.AllocsPerRun(100, func() { tel.count(ctx, op, OutcomeSuccess, time.Millisecond) }); n != 0 {
		t.Errorf("count allocates %v times, want 0", n)
	}
}
