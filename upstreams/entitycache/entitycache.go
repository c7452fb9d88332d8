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
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

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

	l2   *Shared // the second level; nil: in-process only
	base string  // the prefix of the kind's keys in l2: <prefix><kind>:<shape>:<scope initial>:

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
	var stale map[string]stored[V] // owned keys held stale with a validator
	var refresh []string           // keys served stale, to refresh in the background
	var refreshStale map[string]stored[V]
	var joined map[string]*flight[V] // made by the first key found in flight
	hits := 0
	seen := make(map[string]struct{}, len(keys))
	// The keys not in flight, with their cache keys, looked up in the cache in one Fetch.
	lookup := make([]string, 0, len(keys))
	lookupCK := make([]string, 0, len(keys))
	k.mu.Lock()
	for _, key := range keys {
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		ck := entryKey(key) + suffix
		if f, ok := k.flights[ck]; ok {
			if joined == nil {
				joined = map[string]*flight[V]{}
			}
			joined[key] = f
			continue
		}
		lookup, lookupCK = append(lookup, key), append(lookupCK, ck)
	}
	served := make([]bool, len(lookup)) // answered from the cache, fresh or stale-while-revalidate
	staleServed := 0
	t := now()
	k.mem.Fetch(ctx, lookupCK, func(i int, e stored[V]) {
		key, ck := lookup[i], lookupCK[i]
		if t.Before(e.freshUntil) {
			out[key], served[i] = e.value, true
			hits++
			return
		}
		if t.Before(e.swrUntil) && !k.closed {
			out[key], served[i] = e.value, true
			hits++ // served from the cache: the plan's cacheHit
			staleServed++
			if _, running := k.refreshing[ck]; !running {
				k.refreshing[ck] = struct{}{}
				refresh = append(refresh, key)
				if e.validators.valid() {
					if refreshStale == nil {
						refreshStale = map[string]stored[V]{}
					}
					refreshStale[key] = e
				}
			}
			return
		}
		if e.validators.valid() {
			if stale == nil {
				stale = map[string]stored[V]{}
			}
			stale[key] = e
		}
	})
	misses := len(lookup) - hits
	owned, ownedFlights = make([]string, 0, misses), make([]*flight[V], 0, misses)
	for i, key := range lookup {
		if served[i] {
			continue
		}
		f := &flight[V]{done: make(chan struct{})}
		k.flights[lookupCK[i]] = f
		owned = append(owned, key)
		ownedFlights = append(ownedFlights, f)
	}
	if len(refresh) > 0 {
		k.refreshes.Add(1) // under mu, before Close can wait
		go k.refresh(ctx, suffix, refresh, refreshStale, fetch)
	}
	k.mu.Unlock()
	if staleServed > 0 {
		k.staleServes.Add(ctx, int64(staleServed), k.attrs)
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

// fetchOwned makes the one upstream call for the keys this Load owns, stores what it found unless an
// invalidation happened meanwhile, and completes their flights (also when fetch panics). When every
// key is held stale with a validator (stale), the call is conditional (see revalidation): a 304
// refreshes the stale entries without a body, a 200 replaces them.
func (k *Kind[V]) fetchOwned(ctx context.Context, suffix string, keys []string, flights []*flight[V], stale map[string]stored[V], fetch func(context.Context, []string) (map[string]V, error), out map[string]V) (err error) {
	epoch := k.epoch.Load()
	fresh := &freshness{}
	batch := keys
	revalidating := false
	if len(stale) == len(keys) {
		var c conditional
		batch, c.ifNoneMatch, c.ifModifiedSince = revalidation(keys, stale)
		if c.ifNoneMatch != "" || !c.ifModifiedSince.IsZero() {
			fresh.cond, revalidating = &c, true
		}
	}
	notModified := false
	var got map[string]V
	var fromL2 map[string]sharedHit[V]
	defer func() {
		p := recover()
		if p != nil {
			err = fmt.Errorf("entity cache %s: look-up panicked: %v", k.name, p)
		}
		canceled := err != nil && ctx.Err() != nil
		var vals Validators
		if err == nil && !notModified {
			vals = fresh.validators(slices.Clone(batch))
		}
		at := now()
		k.mu.Lock()
		for i, key := range keys {
			f := &flight[V]{} // a background refresh has no flights: nobody waits on it
			if flights != nil {
				f = flights[i]
			}
			f.err, f.canceled = err, canceled
			ck := entryKey(key) + suffix
			if err == nil {
				v := vals
				if notModified {
					f.value, f.found, v = stale[key].value, true, stale[key].validators
				} else {
					f.value, f.found = got[key]
				}
				// The upstream's own Cache-Control (a 304's too) wins when stricter.
				ttl, swr, keep, store := lifetimes(k.policy, fresh.f, v.valid())
				if h, ok := fromL2[key]; ok {
					v, swr, keep = Validators{}, 0, 0
					ttl = min(ttl, h.expires.Sub(at))
					store = store && ttl > 0
				}
				switch {
				case f.found && store && k.epoch.Load() == epoch:
					k.mem.AddTTL(ctx, ck, stored[V]{value: f.value, freshUntil: at.Add(ttl), swrUntil: at.Add(ttl + swr), validators: v}, ttl+max(keep, swr))
				case revalidating && k.epoch.Load() == epoch:
					k.mem.Delete(ctx, ck) // gone upstream, or no longer storable: the stale copy must not outlive it
				}
			}
			if flights != nil {
				delete(k.flights, ck)
				close(f.done)
			}
		}
		k.mu.Unlock()
		if p != nil {
			panic(p)
		}
		// After the flights are done, so that their joiners need not wait for Redis.
		if err == nil && !notModified && k.l2 != nil && len(batch) > 0 && k.epoch.Load() == epoch {
			if ttl, _, _, store := lifetimes(k.policy, fresh.f, false); store && ttl > 0 {
				k.sharedSet(ctx, suffix, batch, got, ttl)
			}
		}
	}()
	if k.l2 != nil && !revalidating && flights != nil {
		// The shared level first (one round trip) for a look-up in the request's path; what it
		// holds is fresh and carries no validators. Revalidations and background refreshes go to
		// the upstream: a conditional call is as cheap, and says whether the data changed.
		fromL2, batch = k.sharedGet(ctx, suffix, keys)
	}
	got = make(map[string]V, len(fromL2))
	for key, h := range fromL2 {
		got[key] = h.value
	}
	if len(batch) > 0 {
		fetched, ferr := fetch(context.WithValue(ctx, freshnessKey{}, fresh), batch)
		if ferr != nil {
			return ferr
		}
		if len(got) == 0 {
			got = fetched // nothing from the shared level: no copy
		} else {
			for key, v := range fetched {
				got[key] = v
			}
		}
	}
	if revalidating {
		fresh.mu.Lock()
		answers, nm := fresh.answers, fresh.notModified
		fresh.mu.Unlock()
		switch {
		case nm && answers == 1:
			notModified = true
			k.revalidated.Add(ctx, int64(len(keys)), k.notModified)
			// The upstream call's own span has its 304; the request's says which kind it refreshed.
			trace.SpanFromContext(ctx).AddEvent("trellis.cache.revalidated", trace.WithAttributes(
				attribute.String("cache", k.name), attribute.Int("keys", len(keys)), attribute.String("result", "not_modified")))
		case answers > 1:
			// A look-up split in chunks: only its first call carried the conditions (Conditional),
			// so its answer, 304 or not, says nothing of the other chunks; no 304 is trusted and a
			// 304 chunk brought no body, so ask again without conditions (rare: over MaxBatch keys).
			fresh = &freshness{}
			if got, err = fetch(context.WithValue(ctx, freshnessKey{}, fresh), batch); err != nil {
				return err
			}
			k.revalidated.Add(ctx, int64(len(keys)), k.modified)
		default:
			k.revalidated.Add(ctx, int64(len(keys)), k.modified)
		}
	}
	for _, key := range keys {
		if notModified {
			out[key] = stale[key].value
		} else if v, ok := got[key]; ok {
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
