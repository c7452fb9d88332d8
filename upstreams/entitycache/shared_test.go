package entitycache

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisgw/trellis/internal/redistest"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/trellisgw/trellis/cache"
)

// trips counts a client's round trips: each command outside a pipeline, each pipeline, each dial.
type trips struct{ cmds, pipes, dials atomic.Int64 }

func (c *trips) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c.dials.Add(1)
		return next(ctx, network, addr)
	}
}

func (c *trips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !setup(cmd) {
			c.cmds.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c *trips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !slices.ContainsFunc(cmds, setup) {
			c.pipes.Add(1)
		}
		return next(ctx, cmds)
	}
}

// setup reports whether cmd is one go-redis sends itself to set a new connection up.
func setup(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "client", "auth", "select", "ping":
		return true
	}
	return false
}

// take returns the round trips (commands + pipelines) since the last take.
func (c *trips) take() int64 { return c.cmds.Swap(0) + c.pipes.Swap(0) }

// instance is one gateway instance's view of the shared level: its own client and Shared.
type instance struct {
	shared *Shared
	trips  *trips
}

func newInstance(t *testing.T, addr, prefix string, timeout time.Duration) *instance {
	t.Helper()
	cfg := cache.RedisConfig{Addr: addr, KeyPrefix: prefix, Timeout: timeout}
	client := cfg.NewClient()
	tr := &trips{}
	client.AddHook(tr)
	s := newShared(client, prefix, timeout, nil)
	t.Cleanup(func() { _ = s.Close() })
	return &instance{shared: s, trips: tr}
}

// kind returns a string kind of the instance named test_by_id; private kinds key by the "caller"
// context value.
func (in *instance) kind(t *testing.T, scope Scope) *Kind[string] {
	t.Helper()
	k, err := NewKind("test_by_id", "test", "GET /test", Policy{TTL: time.Minute, Scope: scope, MaxEntries: 100, MaxBytes: 1 << 20},
		callerOf, func(v string) int64 { return int64(len(v)) }, WithShared(in.shared))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

type callerKey struct{}

func callerOf(ctx context.Context) string { s, _ := ctx.Value(callerKey{}).(string); return s }

func as(caller string) context.Context {
	return context.WithValue(context.Background(), callerKey{}, caller)
}

// callerFetch answers every key with "v:<key>:<caller>" and records each call's keys.
type callerFetch struct{ recorder }

func (r *callerFetch) fetch(ctx context.Context, keys []string) (map[string]string, error) {
	out, err := r.recorder.fetch(ctx, keys)
	for k, v := range out {
		out[k] = v + ":" + callerOf(ctx)
	}
	return out, err
}

func uniquePrefix(t *testing.T) string {
	return fmt.Sprintf("test:%s:%d:", t.Name(), time.Now().UnixNano())
}

// waitFor polls cond until it holds; it fails the test after a generous deadline (a wait, not a
// threshold: a message on a loopback Redis arrives in microseconds).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSharedRoundTripsAndSharing(t *testing.T) {
	r := redistest.Start(t)
	prefix := uniquePrefix(t)
	a, b := newInstance(t, r.Addr, prefix, 2*time.Second), newInstance(t, r.Addr, prefix, 2*time.Second)
	ka, kb := a.kind(t, Public), b.kind(t, Public)
	var fa, fb recorder
	ctx := context.Background()
	steps := []struct {
		name      string
		k         *Kind[string]
		f         *recorder
		in        *instance
		keys      []string
		wantCalls [][]string
		wantTrips int64
	}{
		{"cold: one MGET, one upstream call, one SET pipeline", ka, &fa, a, []string{"a", "b", "c", "unknown"}, [][]string{{"a", "b", "c", "unknown"}}, 2},
		{"warm in process: no Redis", ka, &fa, a, []string{"a", "b"}, nil, 0},
		{"other instance: from Redis, the missing key upstream, one SET", kb, &fb, b, []string{"a", "b", "c", "d"}, [][]string{{"d"}}, 2},
		{"other instance warm", kb, &fb, b, []string{"a", "b", "c", "d"}, nil, 0},
		{"first instance: only d from Redis, no upstream, no SET", ka, &fa, a, []string{"a", "d"}, nil, 1},
	}
	for _, s := range steps {
		got, err := s.k.Load(ctx, s.keys, s.f.fetch)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		want := map[string]string{}
		for _, key := range s.keys {
			if key != "unknown" {
				want[key] = "v:" + key
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: values (-want +got):\n%s", s.name, diff)
		}
		if diff := cmp.Diff(s.wantCalls, s.f.take()); diff != "" {
			t.Errorf("%s: upstream calls (-want +got):\n%s", s.name, diff)
		}
		if got := s.in.trips.take(); got != s.wantTrips {
			t.Errorf("%s: %d Redis round trips, want %d", s.name, got, s.wantTrips)
		}
	}
}

func TestSharedPrivateKeyedByCallerAndInvalidatedForAll(t *testing.T) {
	r := redistest.Start(t)
	prefix := uniquePrefix(t)
	a, b := newInstance(t, r.Addr, prefix, 2*time.Second), newInstance(t, r.Addr, prefix, 2*time.Second)
	ka, kb := a.kind(t, Private), b.kind(t, Private)
	var fa, fb callerFetch
	load := func(k *Kind[string], f *callerFetch, caller string, keys ...string) (map[string]string, [][]string) {
		t.Helper()
		got, err := k.Load(as(caller), keys, f.fetch)
		if err != nil {
			t.Fatal(err)
		}
		return got, f.take()
	}
	if got, calls := load(ka, &fa, "u1", "k", "j"); len(calls) != 1 || got["k"] != "v:k:u1" {
		t.Fatalf("u1 on a: %v, calls %v", got, calls)
	}
	if got, calls := load(kb, &fb, "u2", "k"); len(calls) != 1 || got["k"] != "v:k:u2" {
		t.Fatalf("u2 on b must not read u1's entry: %v, calls %v", got, calls)
	}
	if got, calls := load(kb, &fb, "u1", "k", "j"); len(calls) != 0 || got["k"] != "v:k:u1" || got["j"] != "v:j:u1" {
		t.Fatalf("u1 on b must read u1's entry from Redis: %v, calls %v", got, calls)
	}
	if got, _ := load(kb, &fb, "", "k"); got["k"] != "v:k:" {
		t.Fatalf("anonymous: %v", got)
	}
	if n := kb.Len(); n != 3 {
		t.Fatalf("b holds %d entries in process, want 3 (u2:k, u1:k, u1:j)", n)
	}
	a.trips.take()
	ka.Invalidate(context.Background(), "k")
	if got := a.trips.take(); got != 1 {
		t.Errorf("an invalidation took %d round trips, want 1 (DEL and PUBLISH in one pipeline)", got)
	}
	waitFor(t, "b to drop every caller's k", func() bool { return kb.Len() == 1 })
	for _, c := range []string{"u1", "u2"} {
		if got, calls := load(kb, &fb, c, "k"); !slices.Equal(calls[0], []string{"k"}) || got["k"] != "v:k:"+c {
			t.Errorf("%s after invalidation: %v, calls %v; want one upstream call", c, got, calls)
		}
	}
	if got, calls := load(kb, &fb, "u1", "j"); len(calls) != 0 || got["j"] != "v:j:u1" {
		t.Errorf("j was not invalidated: %v, calls %v", got, calls)
	}
}

func TestSharedPurgeReachesEveryInstance(t *testing.T) {
	r := redistest.Start(t)
	prefix := uniquePrefix(t)
	a, b := newInstance(t, r.Addr, prefix, 2*time.Second), newInstance(t, r.Addr, prefix, 2*time.Second)
	ka, kb := a.kind(t, Public), b.kind(t, Public)
	var f recorder
	ctx := context.Background()
	for _, k := range []*Kind[string]{ka, kb} {
		if _, err := k.Load(ctx, []string{"x", "y"}, f.fetch); err != nil {
			t.Fatal(err)
		}
	}
	f.take()
	a.shared.Purge(ctx)
	if ka.Len() != 0 {
		t.Fatalf("a holds %d entries after its purge", ka.Len())
	}
	waitFor(t, "b to purge", func() bool { return kb.Len() == 0 })
	if _, err := kb.Load(ctx, []string{"x", "y"}, f.fetch); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"x", "y"}}, f.take()); diff != "" {
		t.Errorf("after a purge the entries must be gone from Redis too (-want +got):\n%s", diff)
	}
}

// TestSharedInvalidationDuringFetchStoresNothing: a look-up in flight when its key is invalidated
// stores what it fetched neither in process nor in Redis.
func TestSharedInvalidationDuringFetchStoresNothing(t *testing.T) {
	r := redistest.Start(t)
	prefix := uniquePrefix(t)
	a, b := newInstance(t, r.Addr, prefix, 2*time.Second), newInstance(t, r.Addr, prefix, 2*time.Second)
	ka, kb := a.kind(t, Public), b.kind(t, Public)
	ctx := context.Background()
	_, err := ka.Load(ctx, []string{"k"}, func(ctx context.Context, keys []string) (map[string]string, error) {
		ka.Invalidate(ctx, "k") // as a mutation would, while the upstream answers
		return map[string]string{"k": "old"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var f recorder
	if got, _ := kb.Load(ctx, []string{"k"}, f.fetch); got["k"] != "v:k" {
		t.Errorf("b read %q: the value fetched before the invalidation reached Redis", got["k"])
	}
	if got, _ := ka.Load(ctx, []string{"k"}, f.fetch); got["k"] != "v:k" {
		t.Errorf("a read %q: the value fetched before the invalidation was kept", got["k"])
	}
}

func TestSharedEntriesOfAnotherShapeOrFormatAreMisses(t *testing.T) {
	r := redistest.Start(t)
	prefix := uniquePrefix(t)
	a := newInstance(t, r.Addr, prefix, 2*time.Second)
	ks := a.kind(t, Public)
	type other struct{ N int }
	ko, err := NewKind("test_by_id", "test", "GET /test", Policy{TTL: time.Minute, Scope: Public, MaxEntries: 10, MaxBytes: 1 << 20},
		nil, func(other) int64 { return 8 }, WithShared(a.shared))
	if err != nil {
		t.Fatal(err)
	}
	defer ko.Close()
	if ks.base == ko.base {
		t.Fatalf("kinds of different value shapes share the key prefix %q", ks.base)
	}
	ctx := context.Background()
	raw := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer raw.Close()
	for name, v := range map[string][]byte{
		"unknown format": append([]byte{9}, encodeValue([]byte(`"x"`), time.Now().Add(time.Hour))[1:]...),
		"expired":        encodeValue([]byte(`"x"`), time.Now().Add(-time.Second)),
		"bad payload":    encodeValue([]byte(`{`), time.Now().Add(time.Hour)),
	} {
		key := "k-" + strconv.Itoa(len(name))
		if err := raw.Set(ctx, ks.base+entryKey(key), v, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		var f recorder
		got, err := ks.Load(ctx, []string{key}, f.fetch)
		if err != nil || got[key] != "v:"+key || len(f.take()) != 1 {
			t.Errorf("%s: %v, %v; want a miss answered upstream", name, got, err)
		}
	}
}

// TestSharedRedisDownIsMissesWithoutATimeoutEach: with nothing listening, every Load is answered
// upstream without an error, and Redis is dialed about once per back-off period, not once per Load.
func TestSharedRedisDownIsMissesWithoutATimeoutEach(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	a := newInstance(t, addr, uniquePrefix(t), 100*time.Millisecond)
	k := a.kind(t, Public)
	var f recorder
	start := time.Now()
	const loads = 300
	for i := range loads {
		key := strconv.Itoa(i)
		got, err := k.Load(context.Background(), []string{key}, f.fetch)
		if err != nil || got[key] != "v:"+key {
			t.Fatalf("load %d: %v, %v", i, got, err)
		}
	}
	periods := int64(time.Since(start)/cache.DefaultBackoff) + 1
	// Each period lets one probe through (a read, and the write after its miss), the subscriber dials
	// once per period too.
	if got := a.trips.take() + a.trips.dials.Load(); got > 4*periods+4 {
		t.Errorf("%d Redis attempts over %d loads in %d back-off periods: each load paid for Redis", got, loads, periods)
	}
}

// TestSharedResubscribePurgesInProcess: after Redis restarts, the subscriber subscribes again and
// purges the in-process level, since invalidations may have been missed.
func TestSharedResubscribePurgesInProcess(t *testing.T) {
	r := redistest.Start(t)
	a := newInstance(t, r.Addr, uniquePrefix(t), 2*time.Second)
	k := a.kind(t, Public)
	var f recorder
	waitFor(t, "the first subscription", func() bool { return a.shared.subscribed.Load() })
	if _, err := k.Load(context.Background(), []string{"x"}, f.fetch); err != nil {
		t.Fatal(err)
	}
	r.Restart()
	waitFor(t, "the in-process level purged after resubscribing", func() bool { return k.Len() == 0 })
}

// TestSharedConcurrentLoadsOneRoundTrip: concurrent Loads of the same cold keys on one instance
// share one Redis read and one upstream call (single flight covers the shared level).
func TestSharedConcurrentLoadsOneRoundTrip(t *testing.T) {
	r := redistest.Start(t)
	a := newInstance(t, r.Addr, uniquePrefix(t), 2*time.Second)
	k := a.kind(t, Public)
	release := make(chan struct{})
	var calls atomic.Int64
	fetch := func(_ context.Context, keys []string) (map[string]string, error) {
		calls.Add(1)
		<-release
		return map[string]string{"k": "v"}, nil
	}
	var wg sync.WaitGroup
	const n = 50
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = k.Load(context.Background(), []string{"k"}, fetch) }()
	waitFor(t, "the first look-up in flight", func() bool { return calls.Load() == 1 })
	for range n - 1 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = k.Load(context.Background(), []string{"k"}, fetch) }()
	}
	waitFor(t, "every other look-up joined", func() bool { return k.waiting.Load() == n-1 })
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("%d upstream calls, want 1", calls.Load())
	}
	if got := a.trips.take(); got != 2 {
		t.Errorf("%d Redis round trips for %d concurrent loads, want 2 (one read, one write)", got, n)
	}
}

// TestSharedTombstoneRefusesLateFills: after an invalidation, a fill of the old value (a look-up of
// another instance that began before it and stores after it, before its message arrived) does not
// land in Redis, for a public and a private kind; other keys fill as before.
func TestSharedTombstoneRefusesLateFills(t *testing.T) {
	r := redistest.Start(t)
	for _, scope := range []Scope{Public, Private} {
		t.Run(string(scope), func(t *testing.T) {
			a := newInstance(t, r.Addr, uniquePrefix(t), 2*time.Second)
			k := a.kind(t, scope)
			ctx := as("u1")
			suffix, _ := k.suffix(ctx)
			k.Invalidate(ctx, "k")
			k.sharedSet(ctx, suffix, []string{"k", "j"}, map[string]string{"k": "old", "j": "new"}, time.Minute)
			found, rest := k.sharedGet(ctx, suffix, []string{"k", "j"})
			if _, ok := found["k"]; ok || !slices.Equal(rest, []string{"k"}) {
				t.Errorf("after an invalidation a late fill landed: found %v, rest %v", found, rest)
			}
			if found["j"].value != "new" {
				t.Errorf("a key not invalidated did not fill: %v", found)
			}
		})
	}
}
