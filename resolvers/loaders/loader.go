package loaders

import (
	"context"
	"fmt"
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

	mu    sync.Mutex
	cache map[string]*future[V] // every key requested in this operation
	queue []string              // keys not yet sent
	futs  []*future[V]          // the futures of queue, index for index
}

type future[V any] struct {
	ws   waitState // guarded by the scheduler's mutex
	done chan struct{}
	val  V
	err  error
}

// load returns the value for key, sending it with the operation's next batch unless it was requested
// before.
func (l *loader[V]) load(ctx context.Context, key string) (V, error) {
	l.mu.Lock()
	f, seen := l.cache[key]
	first := false
	if !seen {
		f = &future[V]{done: make(chan struct{})}
		l.cache[key] = f
		l.queue = append(l.queue, key)
		l.futs = append(l.futs, f)
		first = len(l.queue) == 1
	}
	l.mu.Unlock()
	if first {
		l.s.enqueue(l)
	}
	if !l.s.block(&f.ws) {
		<-f.done // resolved: its value is being published
		return f.val, f.err
	}
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero V
		return zero, fmt.Errorf("loader %s: %w", l.name, ctx.Err())
	}
}

// take implements flusher.
func (l *loader[V]) take() func(context.Context) {
	l.mu.Lock()
	keys, futs := l.queue, l.futs
	l.queue, l.futs = nil, nil
	l.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	return func(ctx context.Context) { l.send(ctx, keys, futs) }
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
		close(f.done)
	}
}
