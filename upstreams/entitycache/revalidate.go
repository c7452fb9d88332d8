package entitycache

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/upstreams/calltrace"
)

// Revalidation of batch look-ups (RFC 9110 §13, RFC 9111 §4.3).
//
// A batch look-up is one GET whose target URI names its key set (GET /users?id=1&id=2), so an ETag
// validates that one resource: the representation of exactly that key set, in that order (RFC 9110
// §8.8.3). Each entry therefore keeps the validator of the answer it came in with, together with the
// key list that answer covered (shared by the batch's entries). Stale entries are revalidated:
//
//   - with If-None-Match, when the stale keys of a Load include every key a validator covers: they are
//     sent as that exact key list, so the precondition is about the resource the ETag came from;
//   - else with If-Modified-Since when they all carry a Last-Modified: a batch's Last-Modified is the
//     latest change of its members, so each member's own last change is no later, and it was no
//     later than the answer either. Sending the oldest Last-Modified L of the set asks "has any of
//     these changed after L?": a member changed since it was fetched changed after its answer,
//     hence after its Last-Modified, hence after L, and the origin answers 200. Only strong dates
//     (one second before the answer's Date, RFC 9110 §8.8.2.2) are kept, so that a change in the same
//     second as an answer cannot compare equal. A 304 proves no member changed after L, so every
//     entry is refreshed;
//   - else they are fetched as plain misses.
//
// A 304 refreshes the entries' freshness from its own Cache-Control (RFC 9111 §4.3.4) and keeps their
// values; a 200 replaces them, and a key it leaves out is dropped. A conditional request is one call
// (at most Policy.MaxBatch keys); an answer made of several calls keeps no validator. gRPC look-ups
// carry no validators: their entries just expire (or are served stale while revalidating when the
// kind's policy allows it).

// entry is what a kind stores per key: the value, until when it is fresh, until when it may be served
// stale while revalidating, and the validator of the answer it came in.
type entry[V any] struct {
	value     V
	fresh     time.Time
	swr       time.Time
	validator *validator // nil: none
}

// validator is what one answer (a batch) gave to revalidate its entries with.
type validator struct {
	etag         string    // "" when none
	keys         []string  // the key list the answer covered, in the order sent
	lastModified time.Time // zero when none or weak
}

// size is the share of an entry's estimated bytes its validator takes (shared by the batch's entries;
// counted with each so the byte bound holds whatever is evicted).
func (v *validator) size() int64 {
	if v == nil {
		return 0
	}
	n := int64(len(v.etag)) + 48
	for _, k := range v.keys {
		n += int64(len(k)) + 16
	}
	return n
}

// group is one upstream call of a fetch: its keys and, for a revalidation, what it sends.
type group struct {
	keys []string
	cond *conditional
	old  *validator // the validator revalidated with If-None-Match
}

// plan splits the keys a Load owns into calls: one If-None-Match call per validator all of whose
// keys are stale here, If-Modified-Since calls (at most MaxBatch keys each) for the other stale keys
// that carry a Last-Modified, and one plain call for the rest.
func (k *Kind[V]) plan(keys []string, stale map[string]entry[V]) []group {
	var groups []group
	done := map[string]bool{}
	for _, key := range keys {
		e, ok := stale[key]
		if !ok || done[key] || e.validator == nil || e.validator.etag == "" {
			continue
		}
		v := e.validator
		exact := slices.IndexFunc(v.keys, func(vk string) bool { s, ok := stale[vk]; return !ok || done[vk] || s.validator != v }) < 0
		if !exact {
			continue
		}
		for _, vk := range v.keys {
			done[vk] = true
		}
		groups = append(groups, group{keys: v.keys, cond: &conditional{ifNoneMatch: v.etag}, old: v})
	}
	var ims, plain []string
	for _, key := range keys {
		switch e, ok := stale[key]; {
		case done[key]:
		case ok && e.validator != nil && !e.validator.lastModified.IsZero():
			ims = append(ims, key)
		default:
			plain = append(plain, key)
		}
	}
	size := len(ims)
	if k.policy.MaxBatch > 0 {
		size = k.policy.MaxBatch
	}
	for chunk := range slices.Chunk(ims, max(size, 1)) {
		oldest := stale[chunk[0]].validator.lastModified
		for _, key := range chunk[1:] {
			if lm := stale[key].validator.lastModified; lm.Before(oldest) {
				oldest = lm
			}
		}
		groups = append(groups, group{keys: chunk, cond: &conditional{ifModifiedSince: oldest}})
	}
	if len(plain) > 0 {
		groups = append(groups, group{keys: plain})
	}
	return groups
}

// result is what one group's call brought back.
type result[V any] struct {
	got   map[string]V
	err   error
	fresh *freshness
	panic any
}

// fetchOwned makes the upstream calls for the keys this Load owns (revalidating the stale ones it
// can, see plan; the calls run concurrently), stores what they found unless an invalidation happened
// meanwhile, and completes their flights (also when fetch panics). The first failure fails the Load.
func (k *Kind[V]) fetchOwned(ctx context.Context, suffix string, keys []string, flights []*flight[V], stale map[string]entry[V], fetch func(context.Context, []string) (map[string]V, error), out map[string]V) error {
	epoch := k.epoch.Load()
	groups := k.plan(keys, stale)
	results := make([]result[V], len(groups))
	call := func(i int) {
		r := &results[i]
		r.fresh = &freshness{cond: groups[i].cond}
		defer func() {
			if p := recover(); p != nil {
				r.panic, r.err = p, fmt.Errorf("entity cache %s: look-up panicked: %v", k.name, p)
			}
		}()
		r.got, r.err = fetch(context.WithValue(ctx, freshnessKey{}, r.fresh), groups[i].keys)
		if r.err == nil && r.fresh.cond != nil && r.fresh.answers > 1 {
			r.err = fmt.Errorf("entity cache %s: a revalidation of %d keys took %d calls", k.name, len(groups[i].keys), r.fresh.answers)
		}
	}
	if len(groups) == 1 {
		call(0)
	} else {
		var wg sync.WaitGroup
		for i := range groups {
			wg.Go(func() { call(i) })
		}
		wg.Wait()
	}
	flightOf := make(map[string]*flight[V], len(keys))
	for i, key := range keys {
		flightOf[key] = flights[i]
	}
	canceled := ctx.Err() != nil
	var firstErr error
	var panicked any
	t := now()
	k.mu.Lock()
	store := k.epoch.Load() == epoch
	for i, g := range groups {
		r := results[i]
		if r.panic != nil && panicked == nil {
			panicked = r.panic
		}
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		notModified := r.err == nil && g.cond != nil && r.fresh.notModified
		if g.cond != nil {
			k.m.revalidated(ctx, k.attrs, r.err, notModified)
		}
		val := k.validatorOf(g, r.fresh, notModified)
		fresh, swr, keep, storable := lifetimes(k.policy, r.fresh.f, val != nil)
		for _, key := range g.keys {
			f := flightOf[key]
			ck := entryKey(key) + suffix
			f.err, f.canceled = r.err, r.err != nil && canceled
			if r.err == nil {
				if notModified {
					f.value, f.found = stale[key].value, true
				} else {
					f.value, f.found = r.got[key]
				}
				switch {
				case !store:
				case f.found && storable:
					e := entry[V]{value: f.value, fresh: t.Add(fresh), swr: t.Add(fresh + swr), validator: val}
					k.mem.AddTTL(ctx, ck, e, fresh+max(swr, keep))
				default:
					k.mem.Delete(ctx, ck) // unknown now, or no longer storable: the stale entry goes
				}
				if f.found {
					out[key] = f.value
				}
			}
			delete(k.flights, ck)
			close(f.done)
		}
	}
	k.mu.Unlock()
	if panicked != nil {
		panic(panicked)
	}
	return firstErr
}

// validatorOf is the validator the entries of g keep after its call: the answer's (a 304 keeps the
// revalidated one's ETag unless it sent another, and the date it was asked about proves no change
// after it), nil when there is none.
func (k *Kind[V]) validatorOf(g group, fr *freshness, notModified bool) *validator {
	if fr.answers != 1 {
		return nil
	}
	v := &validator{etag: fr.etag, keys: g.keys, lastModified: fr.lastModified}
	if notModified {
		if v.etag == "" && g.old != nil {
			v.etag = g.old.etag
		}
		if v.lastModified.IsZero() && g.old != nil {
			v.lastModified = g.old.lastModified
		}
		if v.lastModified.IsZero() && g.cond != nil {
			v.lastModified = g.cond.ifModifiedSince
		}
	}
	if v.etag == "" && v.lastModified.IsZero() {
		return nil
	}
	return v
}

// background runs a kind's stale-while-revalidate refreshes: detached from the requests that start
// them, stopped by Close.
type background struct {
	closed bool // guarded by the kind's mu: no refresh starts once set
	wg     sync.WaitGroup
	life   context.Context
	cancel context.CancelFunc
}

func (b *background) init() { b.life, b.cancel = context.WithCancel(context.Background()) }

func (b *background) stop() {
	b.cancel()
	b.wg.Wait()
}

// defaultRefreshTimeout bounds a background refresh when the policy gives no timeout.
const defaultRefreshTimeout = 10 * time.Second

// refreshInBackground refreshes keys (whose stale entries were just served) in one goroutine: it
// keeps the request's values (caller, outbound identity, trace) but not its cancellation or its call
// trace, is bounded by the policy's RefreshTimeout, and ends at Close. k.mu is held.
func (k *Kind[V]) refreshInBackground(ctx context.Context, suffix string, keys []string, flights []*flight[V], stale map[string]entry[V], fetch func(context.Context, []string) (map[string]V, error)) {
	timeout := k.policy.RefreshTimeout
	if timeout <= 0 {
		timeout = defaultRefreshTimeout
	}
	bctx, cancel := context.WithTimeout(calltrace.NewContext(context.WithoutCancel(ctx), nil), timeout)
	stop := context.AfterFunc(k.bg.life, cancel)
	k.m.refreshes.Add(ctx, 1, k.attrs)
	k.bg.wg.Go(func() {
		defer cancel()
		defer stop()
		defer func() { _ = recover() }() // a panicking look-up fails this refresh only; its flights are completed
		_ = k.fetchOwned(bctx, suffix, keys, flights, stale, fetch, map[string]V{})
	})
}

// revalMetrics are a kind's revalidation instruments.
type revalMetrics struct {
	staleServes   metric.Int64Counter
	revalidations metric.Int64Counter
	refreshes     metric.Int64Counter
}

func newRevalMetrics(meter metric.Meter) revalMetrics {
	var m revalMetrics
	m.staleServes, _ = meter.Int64Counter("trellis.cache.stale_serves",
		metric.WithDescription("Stale entity cache entries served at once while a background refresh runs (stale-while-revalidate)."))
	m.revalidations, _ = meter.Int64Counter("trellis.cache.revalidations",
		metric.WithDescription("Conditional upstream requests revalidating stale entries, by result: not_modified (304), modified (200), failed."))
	m.refreshes, _ = meter.Int64Counter("trellis.cache.background_refreshes",
		metric.WithDescription("Background refreshes started by stale-while-revalidate serves."))
	return m
}

// The result attribute of trellis.cache.revalidations.
var (
	resultNotModified = attribute.String("result", "not_modified")
	resultModified    = attribute.String("result", "modified")
	resultFailed      = attribute.String("result", "failed")
)

func (m revalMetrics) revalidated(ctx context.Context, kind metric.MeasurementOption, err error, notModified bool) {
	res := resultModified
	switch {
	case err != nil:
		res = resultFailed
	case notModified:
		res = resultNotModified
	}
	m.revalidations.Add(ctx, 1, kind, metric.WithAttributes(res))
}
