// Package entitycache keeps upstream entities across requests, in front of the typed clients' batch
// look-ups: a batch asks the cache for all its keys at once, joins look-ups of the same keys already in
// flight for other requests (single flight), sends one upstream call for the remaining misses, and
// stores what came back. It serves whichever execution engine asks, since it sits below the batching.
//
// A Kind is one kind of look-up (users by id, reviews by product, …) with its own in-process LRU
// (cache.Memory, bounded in entries and bytes), TTL and scope. Entries of a private kind are keyed by
// the caller as well, so that no caller ever reads another's entry; a private look-up without a caller
// is not cached at all. The package knows nothing of GraphQL; the caller's key comes from a function
// the gateway provides.
package entitycache

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/upstreams/calltrace"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// Scope says who may read an entry.
type Scope string

// The scopes, as the YAML config and @cacheControl spell them (lower case here).
const (
	// Public entries are shared by every caller.
	Public Scope = "public"
	// Private entries are keyed by the caller; without a caller nothing is cached.
	Private Scope = "private"
)

// Policy is how one kind is cached.
type Policy struct {
	// TTL is how long an entry lives; 0 turns caching of the kind off.
	TTL time.Duration
	// Scope is Public or Private.
	Scope Scope
	// MaxEntries bounds the kind's entries (> 0).
	MaxEntries int
	// MaxBytes bounds the kind's estimated bytes (> 0).
	MaxBytes int64
	// KeepStale is how long an entry that carries a validator (an upstream ETag or a strong
	// Last-Modified) is kept past its TTL, within the same bounds, so that its next look-up revalidates
	// it with a conditional request instead of fetching it again; 0 = not kept.
	KeepStale time.Duration
	// StaleWhileRevalidate is how long past its TTL an entry may still be served at once while one
	// background refresh of it runs (RFC 5861); 0 = only when the upstream's stale-while-revalidate
	// grants it (see lifetimes).
	StaleWhileRevalidate time.Duration
	// RefreshTimeout bounds a background refresh (the upstream's call timeout); 0 = 2s.
	RefreshTimeout time.Duration
}

// CallerFunc returns the key of the request's caller (e.g. "user:7"), or "" for an anonymous one.
type CallerFunc func(context.Context) string

// Kind caches the look-ups of one kind, keyed by string, each key answering a V (an entity, or the
// group of entities a key stands for). A nil *Kind caches nothing: Load calls fetch for every key.
// Safe for concurrent use.
type Kind[V any] struct {
	name, upstream, route string
	policy                Policy
	caller                CallerFunc
	mem                   *cache.Memory[stored[V]]

	mu      sync.Mutex // guards flights
	flights map[string]*flight[V]
	epoch   atomic.Uint64 // bumped by every invalidation: a fetch begun before one stores nothing
	waiting atomic.Int64  // Loads waiting on another's flight (tests wait for it)

	refreshing map[string]struct{} // cache keys with a background refresh running; guarded by mu
	closed     bool                // Close was called: no more refreshes; guarded by mu
	closing    context.Context     // done at Close: background refreshes end
	stop       context.CancelFunc
	refreshes  sync.WaitGroup

	shared      metric.Int64Counter
	revalidated metric.Int64Counter
	staleServes metric.Int64Counter
	attrs       metric.MeasurementOption
	notModified metric.MeasurementOption
	modified    metric.MeasurementOption
}

// stored is one entry: the value, until when it is fresh, and what revalidates it once stale.
type stored[V any] struct {
	value      V
	freshUntil time.Time
	validators Validators
	swrUntil   time.Time // servable stale (with a background refresh) until then
}

// flight is one key's upstream look-up in flight, which other requests may join.
type flight[V any] struct {
	done     chan struct{}
	value    V
	found    bool
	err      error
	canceled bool // the owner's context ended: joiners fetch for themselves
}

// NewKind returns the cache of the look-ups named name (e.g. "users_by_id", the `cache` attribute of
// its metrics), answered by route of upstream (for call traces). sizeOf estimates an entry's bytes.
// caller may be nil when the kind is public. A policy with TTL 0 returns nil: nothing is cached.
func NewKind[V any](name, upstream, route string, p Policy, caller CallerFunc, sizeOf func(V) int64) (*Kind[V], error) {
	if p.TTL <= 0 {
		return nil, nil
	}
	if p.Scope != Public && p.Scope != Private {
		return nil, fmt.Errorf("entity cache %s: scope %q is not public or private", name, p.Scope)
	}
	if p.Scope == Private && caller == nil {
		return nil, fmt.Errorf("entity cache %s: a private kind needs a caller function", name)
	}
	if p.KeepStale < 0 {
		return nil, fmt.Errorf("entity cache %s: keep stale must be >= 0, got %s", name, p.KeepStale)
	}
	mem, err := cache.NewMemory(name, cache.Config{Size: p.MaxEntries, TTL: p.TTL},
		cache.WithMaxBytes(p.MaxBytes, func(key string, e stored[V]) int64 {
			return int64(len(key)) + sizeOf(e.value) + entryOverhead + e.validators.size()
		}),
		cache.WithFresh(func(e stored[V]) bool { return now().Before(e.freshUntil) }),
		cache.WithClock[stored[V]](func() time.Time { return now() }))
	if err != nil {
		return nil, fmt.Errorf("entity cache: %w", err)
	}
	k := &Kind[V]{name: name, upstream: upstream, route: route, policy: p, caller: caller, mem: mem,
		flights: map[string]*flight[V]{}, refreshing: map[string]struct{}{}, attrs: metric.WithAttributes(attribute.String("cache", name))}
	k.closing, k.stop = context.WithCancel(context.Background())
	meter := otel.Meter("github.com/trellisgw/trellis/upstreams/entitycache")
	k.shared, _ = meter.Int64Counter("trellis.cache.shared_flights",
		metric.WithDescription("Entity cache misses answered by another request's upstream call in flight (single flight)."))
	k.staleServes, _ = meter.Int64Counter("trellis.cache.stale_serves",
		metric.WithDescription("Stale entity cache entries served at once while a background refresh runs (stale-while-revalidate)."))
	k.revalidated, _ = meter.Int64Counter("trellis.cache.revalidations",
		metric.WithDescription("Stale entity cache entries revalidated with a conditional upstream request, by result: not_modified (a 304 refreshed them) or modified (a 200 replaced them)."))
	k.notModified = metric.WithAttributes(attribute.String("cache", name), attribute.String("result", "not_modified"))
	k.modified = metric.WithAttributes(attribute.String("cache", name), attribute.String("result", "modified"))
	return k, nil
}

// now is the clock of every kind's entries; tests replace it.
var now = time.Now

// entryOverhead approximates what an LRU entry costs beyond its key and value: list element, map
// slot, expiry.
const entryOverhead = 96

// Load answers keys: from the cache, from look-ups of the same keys in flight, and for the rest with
// one call of fetch (which must return what it found by key; a key it leaves out is unknown and is not
// cached). Keys repeated in keys are looked up once; no keys make no call. The result holds every key found. A failed fetch
// fails the whole Load, as the batch would have failed without the cache.
func (k *Kind[V]) Load(ctx context.Context, keys []string, fetch func(context.Context, []string) (map[string]V, error)) (map[string]V, error) {
	if len(keys) == 0 {
		return map[string]V{}, nil
	}
	if k == nil {
		return fetch(ctx, keys)
	}
	suffix, ok := k.suffix(ctx)
	if !ok {
		return fetch(ctx, keys) // private without a caller: never cached
	}
	start := time.Now()
	t := now()
	out := make(map[string]V, len(keys))
	var owned, bgKeys []string
	var ownedFlights, bgFlights []*flight[V]
	stale, bgStale := map[string]entry[V]{}, map[string]entry[V]{}
	joined := map[string]*flight[V]{}
	hits, staleServed := 0, 0
	seen := make(map[string]struct{}, len(keys))
	k.mu.Lock()
	for _, key := range keys {
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		ck := entryKey(key) + suffix
		e, inMem := k.mem.Get(ctx, ck)
		if inMem && t.Before(e.fresh) {
			out[key] = e.value
			hits++
			continue
		}
		f, inFlight := k.flights[ck]
		if inMem && t.Before(e.swr) { // stale-while-revalidate: served now, one refresh per key behind
			out[key] = e.value
			staleServed++
			if !inFlight && !k.bg.closed {
				f = &flight[V]{done: make(chan struct{})}
				k.flights[ck] = f
				bgKeys, bgFlights, bgStale[key] = append(bgKeys, key), append(bgFlights, f), e
			}
			continue
		}
		if inFlight {
			joined[key] = f
			continue
		}
		f = &flight[V]{done: make(chan struct{})}
		k.flights[ck] = f
		owned = append(owned, key)
		ownedFlights = append(ownedFlights, f)
		if inMem {
			stale[key] = e // past its freshness, kept for its validator: revalidated
		}
	}
	if len(bgKeys) > 0 {
		k.refreshInBackground(ctx, suffix, bgKeys, bgFlights, bgStale, fetch)
	}
	k.mu.Unlock()
	hits += staleServed
	if staleServed > 0 {
		k.m.staleServes.Add(ctx, int64(staleServed), k.attrs)
	}
	if hits+len(joined) > 0 {
		calltrace.Record(ctx, calltrace.Call{Upstream: k.upstream, Route: k.route, BatchSize: hits + len(joined),
			Attempt: 1, Start: start, Duration: time.Since(start), CacheHit: true})
	}
	if len(joined) > 0 {
		k.shared.Add(ctx, int64(len(joined)), k.attrs)
	}
	var err error
	if len(owned) > 0 {
		err = k.fetchOwned(ctx, suffix, owned, ownedFlights, stale, fetch, out)
	}
	var retry []string
	k.waiting.Add(int64(len(joined)))
	defer k.waiting.Add(-int64(len(joined)))
	for key, f := range joined {
		select {
		case <-f.done:
		case <-ctx.Done():
			// Classified as the call itself would have been: the request's deadline passed (or it left).
			return nil, &upstreamerr.Error{Upstream: k.upstream, Op: k.route, Code: upstreamerr.Classify(ctx, ctx.Err()),
				Err: fmt.Errorf("entity cache %s: waiting for a look-up in flight: %w", k.name, ctx.Err())}
		}
		switch {
		case f.canceled:
			retry = append(retry, key) // its owner gave up; this request has not
		case f.err != nil && err == nil:
			err = f.err // the first failure, as is: callers classify it
		case f.found:
			out[key] = f.value
		}
	}
	if err != nil {
		return nil, err
	}
	if len(retry) > 0 {
		more, err := fetch(ctx, retry)
		if err != nil {
			return nil, err
		}
		for key, v := range more {
			out[key] = v
		}
	}
	return out, nil
}

// suffix returns what follows the key in the request's cache keys: "" for a public kind, the caller's
// key for a private one; ok is false for a private kind without a caller.
func (k *Kind[V]) suffix(ctx context.Context) (string, bool) {
	if k.policy.Scope == Public {
		return "", true
	}
	c := k.caller(ctx)
	if c == "" {
		return "", false
	}
	return c, true
}

// entryKey is key as it begins its entries' cache keys: length-prefixed, so that an entry's cache key
// (entryKey(key) + caller) names exactly one key and one caller whatever bytes they hold, and every
// caller's entry of key starts with entryKey(key).
func entryKey(key string) string { return strconv.Itoa(len(key)) + ":" + key }

// Invalidate drops the entries of keys, of every caller for a private kind, and keeps look-ups in
// flight from storing what they fetched. A nil Kind does nothing.
func (k *Kind[V]) Invalidate(ctx context.Context, keys ...string) {
	if k == nil {
		return
	}
	k.epoch.Add(1)
	for _, key := range keys {
		if k.policy.Scope == Public {
			k.mem.Delete(ctx, entryKey(key))
			continue
		}
		k.mem.DeletePrefix(entryKey(key))
	}
}

// Purge drops every entry. A nil Kind does nothing.
func (k *Kind[V]) Purge() {
	if k == nil {
		return
	}
	k.epoch.Add(1)
	k.mem.Purge()
}

// Len returns the entries held (0 for a nil Kind).
func (k *Kind[V]) Len() int {
	if k == nil {
		return 0
	}
	return k.mem.Len()
}

// Close ends the background refreshes, waits for them, and releases the kind's cache.
func (k *Kind[V]) Close() error {
	if k == nil {
		return nil
	}
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	k.stop()
	k.refreshes.Wait()
	return k.mem.Close()
}
