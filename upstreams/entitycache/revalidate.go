package entitycache

import (
	"context"
	"time"
	"unsafe"

	"github.com/trellisgw/trellis/upstreams/calltrace"
)

// Revalidation of stale entries and the background refresh of stale-while-revalidate.

// revalidation chooses the conditional request that asks whether the stale entries of keys (every
// one carrying a validator) changed, and the keys it asks for (batch, keys reordered or keys itself).
//
// A batch look-up's target URI is its key list, and an entity tag names one representation of one
// URI (RFC 9110 §8.8.3): If-None-Match is sent only when keys are exactly the batch one answer's ETag
// covers (the entries share that answer's Batch), and the call then asks for that batch in its order,
// so that the URI is the one the tag came from. For any other set the oldest strong Last-Modified of
// the entries goes as If-Modified-Since (RFC 9110 §13.1.3): a 304 says no entity of the set changed
// after that date; every entry was current when fetched, which was after its own Last-Modified and so
// after the oldest one, hence every entry is still current. A weak Last-Modified (the answer's Date
// less than a second after it, RFC 9110 §8.8.2.2) was not kept: a change in the same second would go
// unseen. When the tag applies only If-None-Match is sent: a server ignores If-Modified-Since beside it
// (RFC 9110 §13.2.2).
// Without either, nothing is sent and the call is a plain fetch.
func revalidation[V any](keys []string, stale map[string]stored[V]) (batch []string, etag string, since time.Time) {
	first := stale[keys[0]].validators
	sameBatch := first.ETag != "" && len(first.Batch) == len(keys)
	for _, key := range keys {
		v := stale[key].validators
		if sameBatch && (v.ETag != first.ETag || len(v.Batch) != len(first.Batch) || unsafe.SliceData(v.Batch) != unsafe.SliceData(first.Batch)) {
			sameBatch = false
		}
		switch {
		case v.LastModified.IsZero():
			since = time.Time{}
		case key == keys[0] || (!since.IsZero() && v.LastModified.Before(since)):
			since = v.LastModified
		}
	}
	if sameBatch {
		return first.Batch, first.ETag, since
	}
	return keys, "", since
}

// refresh runs the one background refresh of keys, served stale by a Load (stale-while-revalidate):
// conditional when they can be revalidated, as a look-up in the request's path would be. It is
// detached from the request's cancellation (the answer already left) but keeps its values (caller,
// identity headers), is bounded by RefreshTimeout, ends at Close, and records nothing in the
// request's call trace.
func (k *Kind[V]) refresh(reqCtx context.Context, suffix string, keys []string, stale map[string]stored[V], fetch func(context.Context, []string) (map[string]V, error)) {
	defer k.refreshes.Done()
	timeout := k.policy.RefreshTimeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(calltrace.NewContext(context.WithoutCancel(reqCtx), nil), timeout)
	defer cancel()
	stop := context.AfterFunc(k.closing, cancel)
	defer stop()
	defer func() {
		k.mu.Lock()
		for _, key := range keys {
			delete(k.refreshing, entryKey(key)+suffix)
		}
		k.mu.Unlock()
	}()
	if len(stale) != len(keys) {
		stale = nil // some cannot be revalidated: one plain call for all
	}
	_ = k.fetchOwned(ctx, suffix, keys, nil, stale, fetch, map[string]V{}) // a failure keeps the stale entries until they expire
}
