package entitycache

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/upstreams/calltrace"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a fetch that answers every key but "unknown" with "v:"+key and records each call's keys.
type recorder struct {
	mu    sync.Mutex
	calls [][]string
}

func (r *recorder) fetch(_ context.Context, keys []string) (map[string]string, error) {
	r.mu.Lock()
	r.calls = append(r.calls, slices.Sorted(slices.Values(keys)))
	r.mu.Unlock()
	out := map[string]string{}
	for _, k := range keys {
		if k != "unknown" {
			out[k] = "v:" + k
		}
	}
	return out, nil
}

func (r *recorder) take() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

func newKind(t *testing.T, p Policy, caller CallerFunc) *Kind[string] {
	t.Helper()
	if p.MaxEntries == 0 {
		p.MaxEntries = 100
	}
	if p.MaxBytes == 0 {
		p.MaxBytes = 1 << 20
	}
	if p.Scope == "" {
		p.Scope = Public
	}
	k, err := NewKind("test_by_id", "test", "GET /test", p, caller, func(v string) int64 { return int64(len(v)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

func TestLoadSendsOnlyMisses(t *testing.T) {
	ctx := context.Background()
	k := newKind(t, Policy{TTL: time.Minute}, nil)
	var r recorder
	steps := []struct {
		keys      []string
		wantCalls [][]string
		want      map[string]string
	}{
		{[]string{"a", "b", "a", "unknown"}, [][]string{{"a", "b", "unknown"}}, map[string]string{"a": "v:a", "b": "v:b"}},
		{[]string{"b", "a"}, nil, map[string]string{"a": "v:a", "b": "v:b"}},               // all cached
		{[]string{"a", "c"}, [][]string{{"c"}}, map[string]string{"a": "v:a", "c": "v:c"}}, // partial overlap: misses only
		{[]string{"unknown"}, [][]string{{"unknown"}}, map[string]string{}},                // unknown keys are not cached
		{nil, nil, nil},
	}
	for i, s := range steps {
		got, err := k.Load(ctx, s.keys, r.fetch)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.want, got); diff != "" && len(s.want)+len(got) > 0 {
			t.Errorf("step %d: result (-want +got):\n%s", i, diff)
		}
		if diff := cmp.Diff(s.wantCalls, r.take()); diff != "" {
			t.Errorf("step %d: upstream calls (-want +got):\n%s", i, diff)
		}
	}
}

func TestNilKindAndZeroTTLCacheNothing(t *testing.T) {
	k, err := NewKind("x", "u", "r", Policy{TTL: 0, Scope: Public}, nil, func(string) int64 { return 0 })
	if err != nil || k != nil {
		t.Fatalf("NewKind with TTL 0 = %v, %v; want nil, nil", k, err)
	}
	var r recorder
	for range 2 {
		if _, err := k.Load(context.Background(), []string{"a"}, r.fetch); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.take()); n != 2 {
		t.Errorf("nil kind: %d calls, want 2", n)
	}
	k.Invalidate(context.Background(), "a")
	k.Purge(context.Background())
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTTLExpiry(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	t.Cleanup(func() { now = time.Now })
	k := newKind(t, Policy{TTL: 10 * time.Second}, nil)
	var r recorder
	ctx := context.Background()
	load := func() {
		if _, err := k.Load(ctx, []string{"a"}, r.fetch); err != nil {
			t.Fatal(err)
		}
	}
	load()
	mu.Lock()
	clock = clock.Add(9 * time.Second)
	mu.Unlock()
	load()
	if n := len(r.take()); n != 1 {
		t.Fatalf("before the TTL: %d calls, want 1", n)
	}
	mu.Lock()
	clock = clock.Add(time.Second)
	mu.Unlock()
	load()
	if n := len(r.take()); n != 1 {
		t.Fatalf("at the TTL: %d calls, want 1 (expired)", n)
	}
}

func TestPrivateEntriesAreTheCallers(t *testing.T) {
	type callerKey struct{}
	caller := func(ctx context.Context) string { s, _ := ctx.Value(callerKey{}).(string); return s }
	as := func(c string) context.Context { return context.WithValue(context.Background(), callerKey{}, c) }
	k := newKind(t, Policy{TTL: time.Minute, Scope: Private}, caller)
	var r recorder
	// Callers whose keys could be confused if keys and callers were merely concatenated.
	for _, c := range []string{"user:1", "user:11", "1", ""} {
		for range 2 {
			if _, err := k.Load(as(c), []string{"1", "11"}, r.fetch); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One call per caller; the anonymous one is never cached.
	if n := len(r.take()); n != 5 {
		t.Errorf("%d upstream calls, want 5 (one per caller, two for the anonymous one)", n)
	}
	k.Invalidate(context.Background(), "1") // every caller's entry of key 1, not of key 11
	if _, err := k.Load(as("user:1"), []string{"1", "11"}, r.fetch); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Load(as("user:11"), []string{"1", "11"}, r.fetch); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"1"}, {"1"}}, r.take()); diff != "" {
		t.Errorf("after invalidating key 1 (-want +got):\n%s", diff)
	}
}

// blocking is a fetch that holds every call until release is closed, counting calls.
type blocking struct {
	calls   atomic.Int32
	started chan struct{}
	release chan struct{}
	err     error
}

func (b *blocking) fetch(ctx context.Context, keys []string) (map[string]string, error) {
	b.calls.Add(1)
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if b.err != nil {
		return nil, b.err
	}
	out := map[string]string{}
	for _, k := range keys {
		out[k] = "v:" + k
	}
	return out, nil
}

func TestSingleFlightAcrossLoads(t *testing.T) {
	k := newKind(t, Policy{TTL: time.Minute}, nil)
	b := &blocking{started: make(chan struct{}, 100), release: make(chan struct{})}
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { _, err := k.Load(ctx, []string{"a", "b"}, b.fetch); first <- err }()
	<-b.started // the first look-up is in flight
	const n = 50
	var wg sync.WaitGroup
	results := make([]map[string]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = k.Load(ctx, []string{"a", "b"}, b.fetch)
		}()
	}
	// Wait until every joiner is waiting on the flight: none of them may start a call.
	deadline := time.Now().Add(10 * time.Second)
	for k.sharedWaiting() < 2*n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(b.release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := b.calls.Load(); got != 1 {
		t.Errorf("%d upstream calls for %d concurrent look-ups of the same keys, want 1", got, n+1)
	}
	for i := range n {
		if errs[i] != nil || results[i]["a"] != "v:a" || results[i]["b"] != "v:b" {
			t.Fatalf("joiner %d: %v %v", i, results[i], errs[i])
		}
	}
}

func TestSingleFlightFailureAndCancel(t *testing.T) {
	t.Run("the owner's failure fails the joiners", func(t *testing.T) {
		k := newKind(t, Policy{TTL: time.Minute}, nil)
		boom := errors.New("boom")
		b := &blocking{started: make(chan struct{}, 10), release: make(chan struct{}), err: boom}
		first := make(chan error, 1)
		go func() { _, err := k.Load(context.Background(), []string{"a"}, b.fetch); first <- err }()
		<-b.started
		second := make(chan error, 1)
		go func() { _, err := k.Load(context.Background(), []string{"a"}, b.fetch); second <- err }()
		for k.sharedWaiting() < 1 {
			time.Sleep(time.Millisecond)
		}
		close(b.release)
		if err := <-first; !errors.Is(err, boom) {
			t.Errorf("owner: %v, want boom", err)
		}
		if err := <-second; !errors.Is(err, boom) {
			t.Errorf("joiner: %v, want boom", err)
		}
		if k.Len() != 0 {
			t.Error("a failed look-up was cached")
		}
	})
	t.Run("a canceled owner makes the joiners fetch for themselves", func(t *testing.T) {
		k := newKind(t, Policy{TTL: time.Minute}, nil)
		b := &blocking{started: make(chan struct{}, 10), release: make(chan struct{})}
		octx, cancel := context.WithCancel(context.Background())
		first := make(chan error, 1)
		go func() { _, err := k.Load(octx, []string{"a"}, b.fetch); first <- err }()
		<-b.started
		second := make(chan map[string]string, 1)
		go func() {
			v, err := k.Load(context.Background(), []string{"a"}, b.fetch)
			if err != nil {
				t.Error(err)
			}
			second <- v
		}()
		for k.sharedWaiting() < 1 {
			time.Sleep(time.Millisecond)
		}
		cancel()
		if err := <-first; !errors.Is(err, context.Canceled) {
			t.Errorf("owner: %v, want canceled", err)
		}
		<-b.started // the joiner's own call
		close(b.release)
		if v := <-second; v["a"] != "v:a" {
			t.Errorf("joiner got %v", v)
		}
	})
	t.Run("a panicking fetch completes its flights", func(t *testing.T) {
		k := newKind(t, Policy{TTL: time.Minute}, nil)
		func() {
			defer func() { _ = recover() }()
			_, _ = k.Load(context.Background(), []string{"a"}, func(context.Context, []string) (map[string]string, error) { panic("x") })
		}()
		var r recorder
		if v, err := k.Load(context.Background(), []string{"a"}, r.fetch); err != nil || v["a"] != "v:a" {
			t.Fatalf("after a panic: %v %v", v, err)
		}
	})
}

func TestInvalidationDuringAFetchStoresNothing(t *testing.T) {
	k := newKind(t, Policy{TTL: time.Minute}, nil)
	b := &blocking{started: make(chan struct{}, 10), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() { _, err := k.Load(context.Background(), []string{"a"}, b.fetch); done <- err }()
	<-b.started
	k.Invalidate(context.Background(), "a") // the answer in flight may predate the change
	close(b.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if k.Len() != 0 {
		t.Error("a look-up begun before an invalidation was stored")
	}
}

func TestCacheHitsInTheCallTrace(t *testing.T) {
	k := newKind(t, Policy{TTL: time.Minute}, nil)
	var r recorder
	if _, err := k.Load(context.Background(), []string{"a", "b"}, r.fetch); err != nil {
		t.Fatal(err)
	}
	rec := calltrace.NewRecorder(time.Now())
	if _, err := k.Load(calltrace.NewContext(context.Background(), rec), []string{"a", "b", "c"}, r.fetch); err != nil {
		t.Fatal(err)
	}
	calls := rec.Calls()
	if len(calls) != 1 || !calls[0].CacheHit || calls[0].BatchSize != 2 || calls[0].Upstream != "test" || calls[0].Route != "GET /test" {
		t.Fatalf("trace %+v, want one cache hit of 2 keys", calls)
	}
	if got := rec.CacheKeys(); got != 2 {
		t.Errorf("CacheKeys = %d, want 2", got)
	}
}

// sharedWaiting returns how many joined look-ups are waiting on another Load's flight.
func (k *Kind[V]) sharedWaiting() int64 { return k.waiting.Load() }

func TestJoinerDeadlineIsAnUpstreamTimeout(t *testing.T) {
	k := newKind(t, Policy{TTL: time.Minute}, nil)
	b := &blocking{started: make(chan struct{}, 10), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() { _, err := k.Load(context.Background(), []string{"a"}, b.fetch); done <- err }()
	<-b.started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := k.Load(ctx, []string{"a"}, b.fetch)
	if upstreamerr.CodeOf(err) != upstreamerr.Timeout {
		t.Errorf("joiner past its deadline: %v (code %q), want an upstream timeout", err, upstreamerr.CodeOf(err))
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
