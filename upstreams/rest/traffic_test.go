package rest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/calltrace"
	"github.com/trellisgw/trellis/upstreams/resilience"
	"github.com/trellisgw/trellis/upstreams/rest"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

func newPooled(t *testing.T, cfg rest.ClientConfig) *rest.Client {
	t.Helper()
	c, err := newTransport(t, rest.Config{}).NewPooledClient("accounts", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestDeadlineHeader: every attempt carries the time left, never more than the caller's budget.
func TestDeadlineHeader(t *testing.T) {
	var got atomic.Value
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get(rest.DeadlineHeader))
		writeJSON(w, http.StatusOK, map[string]any{})
	}))
	tests := []struct {
		name          string
		timeout, call time.Duration // client timeout; caller deadline (0 = none)
		wantMax       int64         // 0 = header absent
	}{
		{"caller deadline", 0, 2 * time.Second, 2000},
		{"client timeout shorter", time.Second, time.Minute, 1000},
		{"no deadline", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newPooled(t, rest.ClientConfig{URLs: []string{srv.URL}, Timeout: tt.timeout})
			ctx := context.Background()
			if tt.call > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.call)
				defer cancel()
			}
			if err := c.Get(ctx, "GET /x", "/x", nil, nil); err != nil {
				t.Fatal(err)
			}
			h, _ := got.Load().(string)
			if tt.wantMax == 0 {
				if h != "" {
					t.Errorf("header %q without a deadline", h)
				}
				return
			}
			ms, err := strconv.ParseInt(h, 10, 64)
			if err != nil || ms < 1 || ms > tt.wantMax {
				t.Errorf("%s = %q, want 1..%d", rest.DeadlineHeader, h, tt.wantMax)
			}
		})
	}
}

// TestTraceContextInjected: each attempt sends a traceparent of the caller's trace.
func TestTraceContextInjected(t *testing.T) {
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	var got atomic.Value
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("traceparent"))
		writeJSON(w, http.StatusOK, map[string]any{})
	}))
	c := newPooled(t, rest.ClientConfig{URLs: []string{srv.URL}})
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), parent)
	if err := c.Get(ctx, "GET /x", "/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := got.Load().(string); len(h) != 55 || h[3:35] != tid.String() {
		t.Errorf("traceparent = %q, want one of trace %s", h, tid)
	}
}

// TestRetryGoesElsewhere: a failed GET is retried on the other instance, and every attempt is
// recorded with its instance and number; a POST is not retried.
func TestRetryGoesElsewhere(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	failing := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits["failing "+r.Method]++
		mu.Unlock()
		w.Header().Set("Retry-After", "0")
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{})
	}))
	healthy := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits["healthy "+r.Method]++
		mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{})
	}))
	c := newPooled(t, rest.ClientConfig{
		URLs:       []string{failing.URL, healthy.URL},
		Balancer:   balancer.Config{Policy: balancer.RoundRobin},
		Resilience: resilience.Config{Retry: resilience.RetryConfig{BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}},
	})
	rec := calltrace.NewRecorder(time.Now())
	ctx := calltrace.NewContext(context.Background(), rec)
	for range 4 {
		if err := c.Get(ctx, "GET /x", "/x", nil, nil); err != nil {
			t.Fatalf("GET: %v", err)
		}
	}
	for _, call := range rec.Calls() {
		if call.Instance == "" || call.Attempt < 1 || call.Attempt > 2 || (call.Attempt == 2) != (call.Code == "") {
			t.Errorf("recorded %+v", call)
		}
	}
	for range 4 {
		err := c.Post(ctx, "POST /x", "/x", map[string]any{}, nil)
		if err != nil && upstreamerr.CodeOf(err) != upstreamerr.Unavailable {
			t.Fatalf("POST: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// Round robin sends each call's first attempt to the failing instance (the retries take the
	// other turns); each is retried on the healthy one.
	if hits["failing GET"] != 4 || hits["healthy GET"] != 4 {
		t.Errorf("GETs: %v, want 4 failures each retried on the healthy instance", hits)
	}
	if hits["failing POST"]+hits["healthy POST"] != 4 {
		t.Errorf("POSTs: %v, want 4 attempts for 4 calls (never retried)", hits)
	}
}

// TestRetryAfterTooLongIsNotWaited: a Retry-After over backoff_max fails the call at once.
func TestRetryAfterTooLongIsNotWaited(t *testing.T) {
	var hits atomic.Int64
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "120")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{})
	}))
	c := newPooled(t, rest.ClientConfig{URLs: []string{srv.URL}})
	err := c.Get(context.Background(), "GET /x", "/x", nil, nil)
	e := asUpstreamErr(t, err)
	if e.Code != upstreamerr.Unavailable || e.RetryAfter != 2*time.Minute || hits.Load() != 1 {
		t.Errorf("code %s, RetryAfter %s, %d attempts; want UPSTREAM_UNAVAILABLE, 2m, 1", e.Code, e.RetryAfter, hits.Load())
	}
}

// TestHostNameInstances: an http URL naming a host stands for every address it resolves to; each
// attempt goes to an address and says the name in its Host header.
func TestHostNameInstances(t *testing.T) {
	var mu sync.Mutex
	hosts := map[string]int{}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts[r.Host]++
		mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{})
	}))
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	lookup := func(_ context.Context, host string) ([]string, error) {
		if host != "accounts.test" {
			return nil, errors.New("no such host")
		}
		return []string{"127.0.0.1"}, nil
	}
	c := newPooled(t, rest.ClientConfig{URLs: []string{"http://accounts.test:" + port}, Lookup: lookup})
	waitInstances := time.Now().Add(10 * time.Second)
	for len(c.Pool().Instances()) == 0 {
		if time.Now().After(waitInstances) {
			t.Fatal("the name was never resolved")
		}
		time.Sleep(time.Millisecond)
	}
	if got := c.Pool().Instances()[0].Addr(); got != "127.0.0.1:"+port {
		t.Fatalf("instance %s, want 127.0.0.1:%s", got, port)
	}
	if err := c.Get(context.Background(), "GET /x", "/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hosts["accounts.test:"+port] != 1 {
		t.Errorf("Host headers %v, want accounts.test:%s", hosts, port)
	}
}
