package loaders

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"go.opentelemetry.io/otel/metric"
)

// fetchFunc fetches a batch: result i belongs to keys[i].
type fetchFunc[V any] func(ctx context.Context, keys []string) ([]V, error)

// loader batches and deduplicates the look-ups of one key kind within one operation.
type loader[V any] struct {
	name  string
	s     *scheduler
	fetch fetchFunc[V]
	sizes metric.Int64Histogram
	attrs metric.MeasurementOption

	mu     sync.Mutex
	cache  map[string]*future[V] // every key requested in this operation
	queues map[int]*keyQueue[V]  // keys not yet sent, by the depth of the field that asked first
}

type keyQueue[V any] struct {
	keys []string
	futs []*future[V]
}

type future[V any] struct {
	ws       waitState      // guarded by the scheduler's mutex
	queuedAt int            // depth of the queue holding the key, -1 once sent; guarded by the loader's mu
	done     sync.WaitGroup // one count until val and err are set (a channel would be one more allocation per key)
	val      V
	err      error
}

// load returns the value for key, sending it with the next batch of its depth unless it was
// requested before in this operation.
func (l *loader[V]) load(ctx context.Context, key string) (V, error) {
	return l.loadAt(key, fieldDepth(ctx))
}

// loadAt is load for a field at depth.
func (l *loader[V]) loadAt(key string, depth int) (V, error) {
	l.mu.Lock()
	f, seen := l.cache[key]
	first := false
	switch {
	case !seen:
		f = &future[V]{}
		f.done.Add(1)
		l.cache[key] = f
		first = l.queueLocked(key, f, depth)
	case f.queuedAt > depth:
		// Queued by a deeper field and not sent yet: it now belongs to this shallower level, which is
		// sent first. Left where it was, this field would wait for a level that waits for it.
		l.unqueueLocked(key, f.queuedAt)
		first = l.queueLocked(key, f, depth)
	}
	l.mu.Unlock()
	if first {
		l.s.enqueue(l, depth)
	}
	// Whether this field blocks or not, the value is published through f.done. The batch runs under the
	// operation's context, so when the request's deadline passes the upstream call fails with a
	// classified timeout, which is what this field reports.
	l.s.block(&f.ws, depth)
	f.done.Wait()
	return f.val, f.err
}

// queueLocked queues key at depth and reports whether it is the first key there. l.mu is held.
func (l *loader[V]) queueLocked(key string, f *future[V], depth int) bool {
	q := l.queues[depth]
	if q == nil {
		q = &keyQueue[V]{}
		l.queues[depth] = q
	}
	q.keys = append(q.keys, key)
	q.futs = append(q.futs, f)
	f.queuedAt = depth
	return len(q.keys) == 1
}

// unqueueLocked removes key from the queue at depth. l.mu is held.
func (l *loader[V]) unqueueLocked(key string, depth int) {
	q := l.queues[depth]
	i := slices.Index(q.keys, key)
	q.keys = slices.Delete(q.keys, i, i+1)
	q.futs = slices.Delete(q.futs, i, i+1)
}

// take implements flusher.
func (l *loader[V]) take(depth int) func(context.Context) {
	l.mu.Lock()
	q := l.queues[depth]
	delete(l.queues, depth)
	if q != nil {
		for _, f := range q.futs {
			f.queuedAt = -1
		}
	}
	l.mu.Unlock()
	if q == nil || len(q.keys) == 0 {
		return nil
	}
	return func(ctx context.Context) { l.send(ctx, q.keys, q.futs) }
}

// send fetches one batch and resolves its futures; a panic in fetch fails the batch, not the process.
func (l *loader[V]) send(ctx context.Context, keys []string, futs []*future[V]) {
	l.sizes.Record(ctx, int64(len(keys)), l.attrs)
	var (
		vals []V
		err  error
	)
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("loader %s: panic in batch: %v", l.name, p)
			}
		}()
		vals, err = l.fetch(ctx, keys)
	}()
	if err == nil && len(vals) != len(keys) {
		err = fmt.Errorf("loader %s: batch returned %d values for %d keys", l.name, len(vals), len(keys))
	}
	ws := make([]*waitState, len(futs))
	for i, f := range futs {
		if err != nil {
			f.err = err
		} else {
			f.val = vals[i]
		}
		ws[i] = &f.ws
	}
	l.s.resolve(ws)
	for _, f := range futs {
		f.done.Done()
	}
}
