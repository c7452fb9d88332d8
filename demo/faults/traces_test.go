package faults

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

const (
	traceA = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceB = "0af7651916cd43dd8448eb211c80319c"
)

func traceparent(traceID string) string { return "00-" + traceID + "-00f067aa0ba902b7-01" }

func TestMiddlewareContinuesTheTrace(t *testing.T) {
	tests := []struct {
		name    string
		headers []string // traceparent of each call, "" for none
		want    []string
	}{
		{name: "no traceparent", headers: []string{""}, want: nil},
		{name: "one trace", headers: []string{traceparent(traceA)}, want: []string{traceA}},
		{name: "repeats once, most recent last", headers: []string{traceparent(traceA), traceparent(traceB), traceparent(traceA)}, want: []string{traceB, traceA}},
		{name: "malformed traceparent", headers: []string{"00-zz-00f067aa0ba902b7-01"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewState()
			var seen []string
			h := s.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
					seen = append(seen, sc.TraceID().String())
				}
			}))
			for _, tp := range tt.headers {
				req := httptest.NewRequest(http.MethodGet, "/users", nil)
				if tp != "" {
					req.Header.Set("traceparent", tp)
				}
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
			if diff := cmp.Diff(s.TraceIDs(), tt.want); diff != "" {
				t.Errorf("TraceIDs (-got +want):\n%s", diff)
			}
			if len(seen) != countNonEmpty(tt.want, tt.headers) {
				t.Errorf("the handler saw %d traced calls, want one per valid traceparent", len(seen))
			}
			s.ResetCalls()
			if got := s.TraceIDs(); len(got) != 0 {
				t.Errorf("after ResetCalls: %v", got)
			}
		})
	}
}

// countNonEmpty counts the calls whose traceparent was valid: every call when want is not empty.
func countNonEmpty(want, headers []string) int {
	if len(want) == 0 {
		return 0
	}
	return len(headers)
}

func TestUnaryInterceptorContinuesTheTrace(t *testing.T) {
	s := NewState()
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("traceparent", traceparent(traceB)))
	var seen trace.SpanContext
	_, err := s.UnaryServerInterceptor()(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/x.v1.S/M"},
		func(ctx context.Context, _ any) (any, error) {
			seen = trace.SpanContextFromContext(ctx)
			return nil, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if got := seen.TraceID().String(); got != traceB || !seen.IsRemote() {
		t.Errorf("handler's span context = %v (remote %v), want trace %s from the caller", got, seen.IsRemote(), traceB)
	}
	if diff := cmp.Diff(s.TraceIDs(), []string{traceB}); diff != "" {
		t.Errorf("TraceIDs (-got +want):\n%s", diff)
	}
}

func TestTraceLogIsBounded(t *testing.T) {
	var l traceLog
	for i := range maxTraceIDs + 10 {
		l.add(fmt.Sprintf("%032x", i))
	}
	got := l.snapshot()
	if len(got) != maxTraceIDs || got[0] != fmt.Sprintf("%032x", 10) {
		t.Fatalf("len %d, oldest %s: want the last %d ids", len(got), got[0], maxTraceIDs)
	}
}
