package loaders

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/graph/engine"
)

// Op is one operation's batching state: a memo per key kind and the level barrier.
type Op struct {
	set  *Set
	ctx  context.Context // the operation's: batches run under it
	mu   sync.Mutex
	memo []sized // per kind: its *memo[V], nil until used
	// running counts the calls of the current level that are neither waiting nor done.
	running int
	// open is the round being filled: keys queued and not sent yet (nil until a key is queued).
	open *round
	wg   sync.WaitGroup // rounds in flight
	// level is the calls of the level being run that run on the crew (crew.go).
	level sync.WaitGroup
	// tasks go to the crew's idle workers (made when the first goes idle), idle counts them, ended
	// says the operation has ended (all under mu).
	tasks chan task
	idle  int
	ended bool
	// direct is set for gqlgen's executor (Memo): no levels; each look-up fetches its new keys at
	// once, and the memo shares keys fetched or in flight with the others.
	direct bool
}

// round is one send of every kind's queued keys: one batch per kind with keys in it, never none.
type round struct {
	sends   []sender // the round's batches
	waiters int
	done    chan struct{}
	batches sync.WaitGroup // the sends running on the crew
}

// sender is one kind's batch of a round, fetched when the round is sent.
type sender interface {
	send(ctx context.Context)
}

// sized is a kind's memo of one operation, which records when the operation has ended how many
// keys it asked for (kind.last).
type sized interface {
	done()
}

type opKey struct{}

func fromContext(ctx context.Context) *Op {
	op, _ := ctx.Value(opKey{}).(*Op)
	return op
}

// Begin implements engine.Batching.
func (s *Set) Begin(ctx context.Context) (context.Context, engine.LevelRunner, func()) {
	op := &Op{set: s, ctx: ctx, memo: make([]sized, s.kinds)} // memos, rounds and the crew made on first use
	return context.WithValue(ctx, opKey{}, op), op, op.end
}

// end waits for the batches in flight, then ends the crew's workers and records the memos' sizes.
func (op *Op) end() {
	op.wg.Wait()
	op.mu.Lock()
	op.ended = true
	if op.tasks != nil { // nil: no worker went idle
		close(op.tasks)
	}
	op.mu.Unlock()
	for _, m := range op.memo {
		if m != nil {
			m.done()
		}
	}
}

// RunLevel implements engine.LevelRunner: the calls run concurrently (the last on the caller's
// goroutine, the others on the operation's crew), and look-ups they make are sent when every call
// waits or has returned. Calls must not panic (the engine recovers each resolver call itself).
func (op *Op) RunLevel(ctx context.Context, n int, call func(context.Context, int)) {
	if n == 0 {
		return
	}
	op.mu.Lock()
	op.running += n
	op.mu.Unlock()
	op.level.Add(n - 1)
	for i := range n - 1 {
		op.submit(task{kind: taskCall, ctx: ctx, call: call, i: i, done: &op.level})
	}
	op.runCall(ctx, call, n-1)
	op.level.Wait()
}

// runCall runs call i of a level; the last call to return sends the round the others wait for.
func (op *Op) runCall(ctx context.Context, call func(context.Context, int), i int) {
	defer func() {
		op.mu.Lock()
		op.running--
		r := op.takeRoundLocked()
		op.mu.Unlock()
		op.send(r)
	}()
	call(ctx, i)
}

// waitLocked records that a running call waits, and returns the round to send (takeRoundLocked);
// op.mu is held.
func (op *Op) waitLocked() *round {
	op.running--
	return op.takeRoundLocked()
}

// takeRoundLocked returns the open round, replaced by a new one, when nothing runs any more and it
// holds keys, else nil; op.mu is held. The caller sends it (send) once it has released op.mu: the
// goroutine whose wait or return left nothing running sends the round itself, rather than a new
// goroutine for it while it blocks.
func (op *Op) takeRoundLocked() *round {
	if op.running > 0 || op.open == nil {
		return nil
	}
	r := op.open
	op.open = nil
	op.wg.Add(1)
	return r
}

// send runs a round's batches concurrently (the first on the calling goroutine), then wakes its
// waiters (counted as running again first, so that no later round goes out while one of them has yet
// to run). A nil round is nothing to send.
func (op *Op) send(r *round) {
	if r == nil {
		return
	}
	defer op.wg.Done()
	r.batches.Add(len(r.sends) - 1)
	for _, s := range r.sends[1:] {
		op.submit(task{kind: taskBatch, batch: s, done: &r.batches})
	}
	r.sends[0].send(op.ctx)
	r.batches.Wait()
	op.mu.Lock()
	op.running += r.waiters
	op.mu.Unlock()
	close(r.done)
}

// kind is the look-up of one key kind.
type kind[V any] struct {
	idx   int
	fetch fetchFunc[V]
	sizes metric.Int64Histogram
	attrs metric.MeasurementOption
	// last is how many keys the last operation that used the kind asked for: the next one's memo is
	// made that large at once rather than grown key by key (a hint; operations race to set it).
	last atomic.Int32
}

// fetchFunc fetches a batch: result i belongs to keys[i].
type fetchFunc[V any] func(ctx context.Context, keys []string) ([]V, error)

func newKind[V any](s *Set, name string, f fetchFunc[V]) *kind[V] {
	k := &kind[V]{idx: s.kinds, fetch: f, sizes: s.sizes, attrs: metric.WithAttributes(attribute.String("loader", name))}
	s.kinds++
	return k
}

// memo is one operation's look-ups of one kind.
type memo[V any] struct {
	k    *kind[V]
	futs map[string]*future[V]
	// slab holds the futures made last (futs points into it): a full slab is replaced by a new one,
	// never grown, since futures must not move.
	slab []future[V]
	// open is the kind's batch of the last round it queued keys in; it takes more keys only while
	// that round is the open one. A round taken for sending has its batches to itself: a key queued
	// afterwards (by a call back from Do while the round is sent) goes into a batch of the next.
	open *batch[V]
}

// batch is the keys of one kind queued in one round, in order, and their futures.
type batch[V any] struct {
	m     *memo[V]
	round *round
	keys  []string
	futs  []*future[V]
}

type future[V any] struct {
	round *round // the round that sends it
	val   V
	err   error
}

// load returns the values of keys, fetching in the operation's next round the ones not asked for
// before, or directly without an operation.
func (k *kind[V]) load(ctx context.Context, keys []string) ([]V, error) {
	op := fromContext(ctx)
	if op == nil {
		return k.direct(ctx, keys)
	}
	op.mu.Lock()
	if op.direct {
		return k.loadDirect(ctx, op, k.memoLocked(op, len(keys)), keys, make([]*future[V], len(keys)))
	}
	futs := k.enqueueLocked(op, keys)
	awaitLocked(op, futs)
	op.mu.Unlock()
	return collect(futs)
}

// memoLocked returns the operation's memo of k, made on first use (for about n keys); op.mu is held.
func (k *kind[V]) memoLocked(op *Op, n int) *memo[V] {
	m, _ := op.memo[k.idx].(*memo[V])
	if m == nil {
		m = &memo[V]{k: k, futs: make(map[string]*future[V], max(n, int(k.last.Load())))}
		op.memo[k.idx] = m
	}
	return m
}

// enqueueLocked returns the futures of keys, queueing in the open round the keys not asked for
// before; op.mu is held. Keys of several kinds queued before any wait go out in the same round.
func (k *kind[V]) enqueueLocked(op *Op, keys []string) []*future[V] {
	m := k.memoLocked(op, len(keys))
	futs := make([]*future[V], len(keys))
	missing := 0
	for i, key := range keys {
		if futs[i] = m.futs[key]; futs[i] == nil {
			missing++
		}
	}
	if missing == 0 {
		return futs
	}
	if op.open == nil {
		op.open = &round{done: make(chan struct{})}
	}
	b := m.open
	if b == nil || b.round != op.open {
		b = &batch[V]{m: m, round: op.open, keys: make([]string, 0, missing), futs: make([]*future[V], 0, missing)}
		m.open = b
		op.open.sends = append(op.open.sends, b)
	} else {
		b.keys, b.futs = slices.Grow(b.keys, missing), slices.Grow(b.futs, missing)
	}
	for i, key := range keys {
		if futs[i] != nil {
			continue
		}
		f := m.futs[key] // a key repeated in keys
		if f == nil {
			f = m.newFutureLocked(op.open, missing)
			m.futs[key] = f
			b.keys = append(b.keys, key)
			b.futs = append(b.futs, f)
		}
		futs[i] = f
	}
	return futs
}

// newFutureLocked returns a new future sent by round r, from the slab (replaced, when full, by one
// of want futures: the calling look-up's new keys); op.mu is held.
func (m *memo[V]) newFutureLocked(r *round, want int) *future[V] {
	if len(m.slab) == cap(m.slab) {
		m.slab = make([]future[V], 0, want)
	}
	m.slab = append(m.slab, future[V]{round: r})
	return &m.slab[len(m.slab)-1]
}

// awaitLocked waits for each round futs are in, one at a time: registered as a waiter of a round, the
// calling resolver counts as running again only once that round is done. op.mu is held, and held
// again on return.
func awaitLocked[V any](op *Op, futs []*future[V]) {
	for {
		var r *round
		for _, f := range futs {
			if select1(f.round.done) {
				continue
			}
			r = f.round
			break
		}
		if r == nil {
			return
		}
		r.waiters++
		next := op.waitLocked()
		op.mu.Unlock()
		op.send(next) // often r itself: this goroutine fetches what it waits for
		<-r.done
		op.mu.Lock()
	}
}

// collect returns the values of futs, whose rounds are done, or the first error among them.
func collect[V any](futs []*future[V]) ([]V, error) {
	out := make([]V, len(futs))
	for i, f := range futs {
		if f.err != nil {
			return nil, f.err
		}
		out[i] = f.val
	}
	return out, nil
}

// collectEach is collect that keeps going: the values of futs, and their errors (nil when none
// failed; a failed future's value is the zero value).
func collectEach[V any](futs []*future[V]) ([]V, []error) {
	out := make([]V, len(futs))
	var errs []error
	for i, f := range futs {
		if f.err != nil {
			if errs == nil {
				errs = make([]error, len(futs))
			}
			errs[i] = f.err
			continue
		}
		out[i] = f.val
	}
	return out, errs
}

// loadDirect is load without levels; op.mu is held and released.
func (k *kind[V]) loadDirect(ctx context.Context, op *Op, m *memo[V], keys []string, futs []*future[V]) ([]V, error) {
	own := &round{done: make(chan struct{})}
	var mine []string
	var mineFuts []*future[V]
	for i, key := range keys {
		f := m.futs[key]
		if f == nil {
			f = m.newFutureLocked(own, len(keys)-i)
			m.futs[key] = f
			mine = append(mine, key)
			mineFuts = append(mineFuts, f)
		}
		futs[i] = f
	}
	op.mu.Unlock()
	if len(mine) > 0 {
		vals, err := k.call(ctx, mine)
		for i, f := range mineFuts {
			if err != nil {
				f.err = err
			} else {
				f.val = vals[i]
			}
		}
		close(own.done)
	}
	out := make([]V, len(keys))
	for i, f := range futs {
		<-f.round.done
		if f.err != nil {
			return nil, f.err
		}
		out[i] = f.val
	}
	return out, nil
}

// select1 reports whether ch is closed.
func select1(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (m *memo[V]) done() { m.k.last.Store(int32(len(m.futs))) }

// send fetches the batch's keys. Its round was taken (under op.mu) before it is sent: nothing adds
// to the batch any more.
func (b *batch[V]) send(ctx context.Context) {
	vals, err := b.m.k.call(ctx, b.keys)
	for i, f := range b.futs {
		if err != nil {
			f.err = err
		} else {
			f.val = vals[i]
		}
	}
}

// call fetches one batch; a panic fails the batch, not the process.
func (k *kind[V]) call(ctx context.Context, keys []string) (vals []V, err error) {
	k.sizes.Record(ctx, int64(len(keys)), k.attrs)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("loaders: panic in batch: %v", p)
		}
	}()
	vals, err = k.fetch(ctx, keys)
	if err == nil && len(vals) != len(keys) {
		err = fmt.Errorf("loaders: batch returned %d values for %d keys", len(vals), len(keys))
	}
	return vals, err
}

// direct fetches keys without an operation (gqlgen's executor), each distinct key once.
func (k *kind[V]) direct(ctx context.Context, keys []string) ([]V, error) {
	uniq := make([]string, 0, len(keys))
	at := make(map[string]int, len(keys))
	for _, key := range keys {
		if _, ok := at[key]; !ok {
			at[key] = len(uniq)
			uniq = append(uniq, key)
		}
	}
	vals, err := k.call(ctx, uniq)
	if err != nil {
		return nil, err
	}
	out := make([]V, len(keys))
	for i, key := range keys {
		out[i] = vals[at[key]]
	}
	return out, nil
}
