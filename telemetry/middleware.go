package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/trellisgw/trellis/telemetry/requestid"
	"github.com/trellisgw/trellis/upstreams/calltrace"
)

// serverSpan is the span kind option of the server span, made once.
var serverSpan = trace.WithSpanKind(trace.SpanKindServer)

// spanName returns the server span's name without allocating for the common methods.
func spanName(method string) string {
	switch method {
	case http.MethodPost:
		return "POST /graphql"
	case http.MethodGet:
		return "GET /graphql"
	}
	return method + " /graphql"
}

// middleware instruments one GraphQL endpoint request from arrival to the last byte written.
func (t *Telemetry) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id, ctx := requestid.EnsureContext(w, r) // r is copied once, below
		req := &request{id: id, calls: calltrace.NewRecorder(start), cost: -1}
		if r.Header.Get(TraceHeader) == "1" {
			req.wantPlan, req.refused = true, !t.fanOutPlan
		}

		ctx = t.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
		ctx, span := t.tracer.Start(ctx, spanName(r.Method), serverSpan, trace.WithTimestamp(start))
		if span.IsRecording() { // attributes cost allocations: only for spans that are kept
			span.SetAttributes(
				attribute.String("http.request.method", r.Method),
				attribute.String("url.path", "/graphql"),
				attribute.String("http.route", "/graphql"),
				attribute.String("trellis.request_id", req.id),
			)
		}
		ctx = calltrace.NewContext(withRequest(ctx, req), req.calls)

		t.inFlight.Add(ctx, 1)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			// Count the request even when a handler panicked (graph recovers its own; this is for the
			// rest), then let net/http handle the panic.
			if p := recover(); p != nil {
				sw.status = http.StatusInternalServerError
				t.finish(ctx, span, req, sw.status, start)
				panic(p)
			}
			t.finish(ctx, span, req, sw.status, start)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// finish ends the server span and records the request's metrics, analytics and access line.
func (t *Telemetry) finish(ctx context.Context, span trace.Span, req *request, status int, start time.Time) {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	d := time.Since(start)
	req.mu.Lock()
	name, opType, outcome, cost := req.operation, req.opType, req.outcome, req.cost
	client, user, kind := req.clientID, req.userID, req.kind
	appName, appVersion := req.appName, req.appVersion
	req.mu.Unlock()
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		// The client went away before its answer was written (net/http cancels the request's context
		// when the connection closes): whatever the response says, nobody got it and nothing failed.
		outcome = OutcomeCanceled
	case outcome == "" || status >= 400:
		outcome = OutcomeError // refused before or outside GraphQL execution, or a request-level failure
	}
	calls, cached := req.calls.Len(), req.calls.CacheKeys()
	op := t.names.get(name)

	t.inFlight.Add(ctx, -1)
	t.count(ctx, op, outcome, d)
	op.stats.add(d, outcome != OutcomeSuccess && outcome != OutcomeCanceled, calls, cost)

	if span.IsRecording() {
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
	span.End()

	level := slog.LevelInfo
	if status >= 500 && outcome != OutcomeCanceled {
		level = slog.LevelWarn
	}
	if !t.log.Enabled(ctx, level) {
		return
	}
	t.log.LogAttrs(ctx, level, "access",
		slog.String("operation", truncate(name, maxNameLen)),
		slog.String("operation_type", opType),
		slog.String("outcome", outcome),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int("upstream_calls", calls),
		slog.Int("cache_keys", cached),
		slog.String("client_kind", kind),
		slog.String("client_id", client),
		slog.String("user_id", user),
		slog.String("client_name", appName),
		slog.String("client_version", appVersion),
	)
}

// count adds one request of op with outcome, that took d, to the request metrics.
func (t *Telemetry) count(ctx context.Context, op *operation, outcome string, d time.Duration) {
	i := outcomeIndex(outcome)
	t.requests.Add(ctx, 1, op.adds[i]...)
	t.duration.Record(ctx, d.Seconds(), op.records[i]...)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader implements http.ResponseWriter.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
