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
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

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
	mem                   *cache.Memory[V]

	mu      sync.Mutex // guards flights
	flights map[string]*flight[V]
	epoch   atomic.Uint64 // bumped by every invalidation: a fetch begun before one stores nothing
	waiting atomic.Int64  // Loads waiting on another's flight (tests wait for it)

	shared metric.Int64Counter
	attrs  metric.MeasurementOption

	l2   *Shared // the second level; nil: in-process only
	base string  // the prefix of the kind's keys in l2: <prefix><kind>:<shape>:<scope initial>:
}

// Option adjusts a Kind at construction.
type Option func(*options)

type options struct{ shared *Shared }

// WithShared adds s as the kind's second level, asked for what the in-process level misses before the
// upstream is (see Shared). A nil s adds nothing.
func WithShared(s *Shared) Option { return func(o *options) { o.shared = s } }

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
func NewKind[V any](name, upstream, route string, p Policy, caller CallerFunc, sizeOf func(V) int64, opts ...Option) (*Kind[V], error) {
	if p.TTL <= 0 {
		return nil, nil
	}
	if p.Scope != Public && p.Scope != Private {
		return nil, fmt.Errorf("entity cache %s: scope %q is not public or private", name, p.Scope)
	}
	if p.Scope == Private && caller == nil {
		return nil, fmt.Errorf("entity cache %s: a private kind needs a caller function", name)
	}
	mem, err := cache.NewMemory(name, cache.Config{Size: p.MaxEntries, TTL: p.TTL},
		cache.WithMaxBytes(p.MaxBytes, func(key string, v V) int64 { return int64(len(key)) + sizeOf(v) + entryOverhead }),
		cache.WithClock[V](func() time.Time { return now() }))
	if err != nil {
		return nil, fmt.Errorf("entity cache: %w", err)
	}
	k := &Kind[V]{name: name, upstream: upstream, route: route, policy: p, caller: caller, mem: mem,
		flights: map[string]*flight[V]{}, attrs: metric.WithAttributes(attribute.String("cache", name))}
	meter := otel.Meter("github.com/trellisgw/trellis/upstreams/entitycache")
	k.shared, _ = meter.Int64Counter("trellis.cache.shared_flights",
		metric.WithDescription("Entity cache misses answered by another request's upstream call in flight (single flight)."))
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.shared != nil {
		// The scope is in the key: a public entry is a string, a private one a hash.
		k.l2, k.base = o.shared, o.shared.prefix+name+":"+shapeOf(reflect.TypeFor[V]())+":"+string(p.Scope[0])+":"
		o.shared.register(name, k)
	}
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
	out := make(map[string]V, len(keys))
	var owned []string
	var ownedFlights []*flight[V]
	joined := map[string]*flight[V]{}
	hits := 0
	seen := make(map[string]struct{}, len(keys))
	k.mu.Lock()
	for _, key := range keys {
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		ck := entryKey(key) + suffix
		if f, ok := k.flights[ck]; ok {
			joined[key] = f
			continue
		}
		if v, ok := k.mem.Get(ctx, ck); ok {
			out[key] = v
			hits++
			continue
		}
		f := &flight[V]{done: make(chan struct{})}
		k.flights[ck] = f
		owned = append(owned, key)
		ownedFlights = append(ownedFlights, f)
	}
	k.mu.Unlock()
	if hits+len(joined) > 0 {
		calltrace.Record(ctx, calltrace.Call{Upstream: k.upstream, Route: k.route, BatchSize: hits + len(joined),
			Attempt: 1, Start: start, Duration: time.Since(start), CacheHit: true})
	}
	if len(joined) > 0 {
		k.shared.Add(ctx, int64(len(joined)), k.attrs)
	}
	var err error
	if len(owned) > 0 {
		err = k.fetchOwned(ctx, suffix, owned, ownedFlights, fetch, out)
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

// fetchOwned answers the keys this Load owns: from the shared level first when there is one (one
// round trip), then with one upstream call for the rest, stores what it found unless an invalidation
// happened meanwhile (what the upstream returned in the shared level too, one round trip), and
// completes their flights (also when fetch panics).
func (k *Kind[V]) fetchOwned(ctx context.Context, suffix string, keys []string, flights []*flight[V], fetch func(context.Context, []string) (map[string]V, error), out map[string]V) (err error) {
	epoch := k.epoch.Load()
	fresh := &freshness{}
	got := map[string]V{}
	var fromL2 map[string]sharedHit[V]
	toFetch := keys
	defer func() {
		p := recover()
		if p != nil {
			err = fmt.Errorf("entity cache %s: look-up panicked: %v", k.name, p)
		}
		canceled := err != nil && ctx.Err() != nil
		ttl := ttlFor(k.policy, fresh.f) // the upstream's own Cache-Control wins when stricter
		store := err == nil && k.epoch.Load() == epoch && ttl > 0
		k.mu.Lock()
		for i, key := range keys {
			f := flights[i]
			f.err, f.canceled = err, canceled
			if err == nil {
				f.value, f.found = got[key]
				if h, ok := fromL2[key]; ok && store {
					k.mem.AddTTL(ctx, entryKey(key)+suffix, f.value, min(ttl, h.expires.Sub(now())))
				} else if f.found && store {
					k.mem.AddTTL(ctx, entryKey(key)+suffix, f.value, ttl)
				}
			}
			delete(k.flights, entryKey(key)+suffix)
			close(f.done)
		}
		k.mu.Unlock()
		if p != nil {
			panic(p)
		}
		// After the flights are done, so that their joiners need not wait for Redis.
		if store && k.l2 != nil && len(toFetch) > 0 {
			k.sharedSet(ctx, suffix, toFetch, got, ttl)
		}
	}()
	if k.l2 != nil {
		fromL2, toFetch = k.sharedGet(ctx, suffix, keys)
		for key, h := range fromL2 {
			got[key] = h.value
		}
	}
	if len(toFetch) > 0 {
		fetched, err := fetch(context.WithValue(ctx, freshnessKey{}, fresh), toFetch)
		if err != nil {
			return err
		}
		for key, v := range fetched {
			got[key] = v
		}
	}
	for _, key := range keys {
		if v, ok := got[key]; ok {
			out[key] = v
		}
	}
	return nil
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
	k.dropLocal(keys)
	if k.l2 != nil {
		rk := make([]string, len(keys))
		for i, key := range keys {
			rk[i] = k.base + entryKey(key)
		}
		k.l2.invalidate(ctx, rk, k.policy.Scope == Private, message{Kind: k.name, Keys: keys})
	}
}

// dropLocal drops the in-process entries of keys (every caller's) and keeps look-ups in flight from
// storing.
func (k *Kind[V]) dropLocal(keys []string) {
	k.epoch.Add(1)
	for _, key := range keys {
		if k.policy.Scope == Public {
			k.mem.Delete(context.Background(), entryKey(key))
			continue
		}
		k.mem.DeletePrefix(entryKey(key))
	}
}

// Purge drops every entry, in the shared level too (there by SCAN: an admin's purge, not a
// request's). A nil Kind does nothing.
func (k *Kind[V]) Purge(ctx context.Context) {
	if k == nil {
		return
	}
	k.purgeLocal()
	if k.l2 != nil {
		k.l2.purge(ctx, escapeGlob(k.base)+"*", message{Kind: k.name, All: true})
	}
}

// purgeLocal drops every in-process entry and keeps look-ups in flight from storing.
func (k *Kind[V]) purgeLocal() {
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

// Close releases the kind's cache.
func (k *Kind[V]) Close() error {
	if k == nil {
		return nil
	}
	return k.mem.Close()
}
