package grpcconn_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/calltrace"
	"github.com/trellisgw/trellis/upstreams/grpcconn"
	"github.com/trellisgw/trellis/upstreams/resilience"
)

// TestAttemptsAcrossInstances: a read that fails on one instance is retried on the other; each
// attempt carries the trace context and the caller's deadline and is recorded with its instance.
func TestAttemptsAcrossInstances(t *testing.T) {
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })

	type seen struct {
		traceparent string
		deadline    bool
	}
	var mu sync.Mutex
	var got []seen
	handler := func(fail bool) stockFunc {
		return func(ctx context.Context, _ *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			_, hasDeadline := ctx.Deadline()
			s := seen{deadline: hasDeadline}
			if v := md.Get("traceparent"); len(v) == 1 {
				s.traceparent = v[0]
			}
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
			if fail {
				return nil, status.Error(codes.Unavailable, "down")
			}
			return &inventoryv1.GetStockResponse{}, nil
		}
	}
	bad, good := startInventory(t, handler(true)), startInventory(t, handler(false))
	conn, err := grpcconn.Open("inventory", grpcconn.Config{
		Targets:    []string{bad, good},
		Balancer:   balancer.Config{Policy: balancer.RoundRobin, Outlier: balancer.OutlierConfig{ConsecutiveFailures: 100}},
		Resilience: resilience.Config{Retry: resilience.RetryConfig{BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	ctx := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client := inventoryv1.NewInventoryServiceClient(conn)
	// Connect to both instances first: until grpc-go reports one ready, it is not picked.
	for ready := 0; ready < 2; {
		_, _ = client.GetStock(ctx, &inventoryv1.GetStockRequest{Upcs: []string{"p1"}})
		ready = 0
		for _, in := range conn.Pool().Instances() {
			if in.Healthy() {
				ready++
			}
		}
		if ctx.Err() != nil {
			t.Fatal("instances never ready")
		}
	}
	rec := calltrace.NewRecorder(time.Now())
	ctx = calltrace.NewContext(ctx, rec)
	for range 6 {
		if _, err := client.GetStock(ctx, &inventoryv1.GetStockRequest{Upcs: []string{"p1"}}); err != nil {
			t.Fatalf("GetStock: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range got {
		if len(s.traceparent) != 55 || s.traceparent[3:35] != tid.String() || !s.deadline {
			t.Errorf("attempt saw %+v, want trace %s and a deadline", s, tid)
		}
	}
	failures := 0
	for _, c := range rec.Calls() {
		if c.Code != "" {
			failures++
		}
		if (c.Instance == bad) != (c.Code != "") || (c.Instance != bad && c.Instance != good) {
			t.Errorf("recorded %+v: want failures on %s only, successes on %s", c, bad, good)
		}
		if c.Code != "" && c.Attempt != 1 {
			t.Errorf("recorded %+v: a failure must be a first attempt (the retry goes to the other instance)", c)
		}
	}
	if failures == 0 || len(rec.Calls()) != 6+failures {
		t.Errorf("recorded %d calls with %d failures; want failures, each followed by one retry", len(rec.Calls()), failures)
	}
}

// TestMetadataWithTraceContext: the caller's outgoing metadata reaches the instance with the trace
// context added to it, and unchanged when the propagator writes nothing.
func TestMetadataWithTraceContext(t *testing.T) {
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })

	seen := make(chan metadata.MD, 2)
	addr := startInventory(t, func(ctx context.Context, _ *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		seen <- md
		return &inventoryv1.GetStockResponse{}, nil
	})
	client := inventoryv1.NewInventoryServiceClient(dial(t, addr, 5*time.Second))
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	traced := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	for _, tt := range []struct {
		name   string
		ctx    context.Context
		traced bool
	}{{"traced", traced, true}, {"no trace context", context.Background(), false}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := metadata.AppendToOutgoingContext(tt.ctx, "x-caller", "a")
			if _, err := client.GetStock(ctx, &inventoryv1.GetStockRequest{Upcs: []string{"p1"}}); err != nil {
				t.Fatal(err)
			}
			md := <-seen
			if got := md.Get("x-caller"); len(got) != 1 || got[0] != "a" {
				t.Errorf("x-caller = %q, want [a]", got)
			}
			tp := md.Get("traceparent")
			if tt.traced && (len(tp) != 1 || tp[0][3:35] != tid.String()) {
				t.Errorf("traceparent = %q, want one of trace %s", tp, tid)
			}
			if !tt.traced && len(tp) != 0 {
				t.Errorf("traceparent = %q, want none", tp)
			}
			if got, _ := metadata.FromOutgoingContext(ctx); len(got.Get("traceparent")) != 0 {
				t.Error("the caller's own metadata was changed")
			}
		})
	}
}
