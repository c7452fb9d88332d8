package entitycache

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStaleWhileRevalidate: past its TTL, within the kind's stale_while_revalidate, an entry is
// served at once to every Load while exactly one background refresh runs (detached from the
// requests, which have all returned); once it is done the new value is served without another call.
func TestStaleWhileRevalidate(t *testing.T) {
	clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	t.Cleanup(func() { now = time.Now })
	k := newKind(t, Policy{TTL: 10 * time.Second, StaleWhileRevalidate: 30 * time.Second}, nil)
	var calls atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	fetch := func(ctx context.Context, keys []string) (map[string]string, error) {
		if calls.Add(1) == 1 {
			return map[string]string{"a": "v1"}, nil
		}
		close(started)
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return map[string]string{"a": "v2"}, nil
	}
	if _, err := k.Load(context.Background(), []string{"a"}, fetch); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	clock = clock.Add(11 * time.Second)
	mu.Unlock()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			got, err := k.Load(ctx, []string{"a"}, fetch)
			cancel() // the request is over: the refresh must go on
			if err != nil || got["a"] != "v1" {
				t.Errorf("stale serve: %v, %v; want v1", got, err)
			}
		}()
	}
	wg.Wait() // every Load returned while the refresh is still blocked
	<-started
	close(release)
	k.refreshes.Wait()
	if n := calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2: the first and one background refresh", n)
	}
	got, err := k.Load(context.Background(), []string{"a"}, fetch)
	if err != nil || got["a"] != "v2" || calls.Load() != 2 {
		t.Errorf("after the refresh: %v, %v, %d calls; want v2 without a call", got, err, calls.Load())
	}
}

// TestStaleWhileRevalidateEndsAtClose: Close cancels a background refresh in flight and waits for it.
func TestStaleWhileRevalidateEndsAtClose(t *testing.T) {
	clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	t.Cleanup(func() { now = time.Now })
	k, err := NewKind[string]("swr_close", "test", "GET /test", Policy{TTL: 10 * time.Second, Scope: Public, MaxEntries: 10,
		MaxBytes: 1 << 20, StaleWhileRevalidate: time.Minute, RefreshTimeout: time.Hour}, nil, func(v string) int64 { return int64(len(v)) })
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	started := make(chan struct{})
	var refreshErr error
	fetch := func(ctx context.Context, keys []string) (map[string]string, error) {
		if calls.Add(1) == 1 {
			return map[string]string{"a": "v1"}, nil
		}
		close(started)
		<-ctx.Done()
		refreshErr = ctx.Err()
		return nil, ctx.Err()
	}
	if _, err := k.Load(context.Background(), []string{"a"}, fetch); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	clock = clock.Add(11 * time.Second)
	mu.Unlock()
	if got, err := k.Load(context.Background(), []string{"a"}, fetch); err != nil || got["a"] != "v1" {
		t.Fatalf("stale serve: %v, %v", got, err)
	}
	<-started
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if refreshErr == nil {
		t.Error("the refresh was not canceled by Close")
	}
}

// TestLifetimesStaleWhileRevalidate: the kind's grant and the upstream's, the smaller winning;
// must-revalidate and no-cache withdraw it.
func TestLifetimesStaleWhileRevalidate(t *testing.T) {
	tests := []struct {
		kind   time.Duration
		header string
		want   time.Duration
	}{
		{0, "max-age=60", 0},
		{0, "max-age=60, stale-while-revalidate=5", 5 * time.Second},
		{10 * time.Second, "max-age=60", 10 * time.Second},
		{10 * time.Second, "max-age=60, stale-while-revalidate=5", 5 * time.Second},
		{3 * time.Second, "max-age=60, stale-while-revalidate=5", 3 * time.Second},
		{10 * time.Second, "max-age=60, must-revalidate", 0},
		{10 * time.Second, "s-maxage=60, stale-while-revalidate=5", 0},
		{10 * time.Second, "no-cache", 0},
	}
	for _, tt := range tests {
		h := &freshness{}
		ctx := context.WithValue(context.Background(), freshnessKey{}, h)
		Answered(ctx, http.StatusOK, http.Header{"Cache-Control": {tt.header}})
		_, swr, _, _ := lifetimes(Policy{TTL: time.Minute, Scope: Public, StaleWhileRevalidate: tt.kind}, h.f, false)
		if swr != tt.want {
			t.Errorf("kind %s, %q: swr %s, want %s", tt.kind, tt.header, swr, tt.want)
		}
	}
}
