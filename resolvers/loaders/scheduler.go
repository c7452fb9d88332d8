package loaders

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// flusher is a loader with keys queued for the next batch.
type flusher interface {
	// take removes and returns the batch queued at depth, or nil when there is none.
	take(depth int) func(context.Context)
}

// queued is a loader with a batch queued at a depth.
type queued struct {
	f     flusher
	depth int
}

// scheduler decides when one operation's queued keys are sent. All its fields are guarded by mu.
//
// pending counts the field resolutions that are expected or running and whose resolver has not
// returned; waiting counts those of them blocked on a batch or an upstream call, and waitingAt counts
// them by depth (the number of fields on their response path). A field that is neither is running and
// may still queue keys, so nothing is sent while waiting < pending.
//
// When everything waits, only the batches at the shallowest depth anything waits at are sent: a
// shallower field still waiting (on a call in flight) may yet queue more keys at deeper depths once
// it runs, and those must join the batches of their depth rather than follow in a second call. This
// keeps each (loader, depth) to one call even when part of a level was answered early from the
// request's cache.
type scheduler struct {
	ctx     context.Context // the operation's context: batches outlive the field that queued them first
	maxWait time.Duration
	onForce func() // counts flushes forced by the watchdog
	// shared counts the progress of every operation of the process (nil: this one's only). While other
	// operations progress and this one does not, its fields are most likely waiting for a CPU, not
	// miscounted: the watchdog then waits up to starvedLooks × maxWait.
	shared *atomic.Uint64

	mu        sync.Mutex
	pending   int
	waiting   int
	waitingAt []int
	queue     []queued
	timer     *time.Timer
	timerGen  uint64 // invalidates a watchdog armed for a queue that has been sent since
	progress  uint64 // counts fields finishing and batches resolving: the watchdog's sign of life
	seen      uint64 // progress when the watchdog last looked
	seenAll   uint64 // shared progress when the watchdog last looked
	idleLooks int    // consecutive looks of the watchdog that found no progress of this operation
	closed    bool
	inflight  sync.WaitGroup
}

// starvedLooks bounds how many times the watchdog looks again, while only other operations progress,
// before it takes the stall for a miscount (10 × loaders.max_wait, 1s by default).
const starvedLooks = 10

func newScheduler(ctx context.Context, maxWait time.Duration, onForce func(), shared *atomic.Uint64) *scheduler {
	return &scheduler{ctx: ctx, maxWait: maxWait, onForce: onForce, shared: shared}
}

// tickLocked records progress of the operation (a field finishing, a call or a batch returning). s.mu is held.
func (s *scheduler) tickLocked() {
	s.progress++
	if s.shared != nil {
		s.shared.Add(1)
	}
}

// sharedProgress returns the process-wide progress count, 0 without one.
func (s *scheduler) sharedProgress() uint64 {
	if s.shared == nil {
		return 0
	}
	return s.shared.Load()
}

// expect announces n more field resolutions (n is negative by one when a field finished).
func (s *scheduler) expect(n int) {
	s.mu.Lock()
	s.pending += n
	s.tickLocked()
	s.flushIfIdleLocked()
}

// addWaiting counts one field at depth as blocked (n = 1) or running again (n = -1). s.mu is held.
func (s *scheduler) addWaitingLocked(depth, n int) {
	for len(s.waitingAt) <= depth {
		s.waitingAt = append(s.waitingAt, 0)
	}
	s.waitingAt[depth] += n
	s.waiting += n
}

// wait marks the calling field, at depth, as blocked on an upstream call it makes itself; done must be
// called when the call has returned.
func (s *scheduler) wait(depth int) (done func()) {
	s.mu.Lock()
	s.addWaitingLocked(depth, 1)
	s.flushIfIdleLocked()
	return func() {
		s.mu.Lock()
		s.addWaitingLocked(depth, -1)
		s.tickLocked()
		s.mu.Unlock()
	}
}

// waitState is the part of a batched key's future the scheduler guards with its mutex.
type waitState struct {
	depths   []int // of the fields waiting for the key
	resolved bool
}

// block marks the calling field, at depth, as blocked until w is resolved. It returns false, without
// blocking, when w is resolved already.
func (s *scheduler) block(w *waitState, depth int) bool {
	s.mu.Lock()
	if w.resolved {
		s.mu.Unlock()
		return false
	}
	w.depths = append(w.depths, depth)
	s.addWaitingLocked(depth, 1)
	s.flushIfIdleLocked()
	return true
}

// resolve marks ws resolved. Their waiters count as running from now on, before they are woken: a
// woken field that has not been scheduled yet must still hold back the next batch.
func (s *scheduler) resolve(ws []*waitState) {
	s.mu.Lock()
	for _, w := range ws {
		w.resolved = true
		for _, d := range w.depths {
			s.addWaitingLocked(d, -1)
		}
	}
	s.tickLocked()
	s.mu.Unlock()
}

// enqueue registers a loader whose queue at depth just became non-empty.
func (s *scheduler) enqueue(f flusher, depth int) {
	s.mu.Lock()
	s.queue = append(s.queue, queued{f: f, depth: depth})
	if s.timer == nil {
		s.seen, s.seenAll, s.idleLooks = s.progress, s.sharedProgress(), 0
		gen := s.timerGen
		s.timer = time.AfterFunc(s.maxWait, func() { s.watchdog(gen) })
	}
	s.flushIfIdleLocked()
}

// flushIfIdleLocked sends the shallowest queued batches when no field is running, then unlocks s.mu.
func (s *scheduler) flushIfIdleLocked() {
	if len(s.queue) == 0 || s.waiting < s.pending {
		s.mu.Unlock()
		return
	}
	shallowest := -1
	for d, n := range s.waitingAt {
		if n > 0 {
			shallowest = d
			break
		}
	}
	s.flushLocked(func(q queued) bool { return shallowest < 0 || q.depth <= shallowest })
}

// watchdog guards against a miscount: keys are queued, yet the count says some field is still running.
// As long as fields keep finishing, that may well be true (a large level can take a while), so it looks
// again later; after a whole maxWait in which a field counted as running made no progress at all, it
// sends everything queued. When meanwhile other operations of the process progressed, the CPU was busy
// with them and this operation's fields are most likely waiting to be scheduled (an overloaded
// gateway): it looks again, up to starvedLooks times in a row, before it takes the stall for a miscount.
func (s *scheduler) watchdog(gen uint64) {
	s.mu.Lock()
	if gen != s.timerGen || len(s.queue) == 0 || s.closed {
		s.mu.Unlock()
		return
	}
	all := s.sharedProgress()
	idle := s.progress == s.seen && s.waiting < s.pending
	if idle {
		s.idleLooks++
	} else {
		s.idleLooks = 0
	}
	if !idle || (all != s.seenAll && s.idleLooks < starvedLooks) {
		// Fields are finishing; or every field waits and the queued keys are held on purpose behind a
		// shallower call in flight (bounded by its own timeout); or only other operations progressed:
		// nothing is known to be miscounted. Look again later.
		s.seen, s.seenAll = s.progress, all
		s.timer = time.AfterFunc(s.maxWait, func() { s.watchdog(gen) })
		s.mu.Unlock()
		return
	}
	if s.onForce != nil {
		s.onForce()
	}
	s.flushLocked(func(queued) bool { return true })
}

// flushLocked takes the queued batches that sendNow selects, unlocks s.mu and starts them, one
// goroutine each.
func (s *scheduler) flushLocked(sendNow func(queued) bool) {
	var now []queued
	keep := s.queue[:0]
	for _, q := range s.queue {
		if sendNow(q) {
			now = append(now, q)
		} else {
			keep = append(keep, q)
		}
	}
	s.queue = keep
	if len(s.queue) == 0 {
		s.timerGen++
		if s.timer != nil {
			s.timer.Stop()
			s.timer = nil
		}
	}
	closed := s.closed
	if !closed {
		s.inflight.Add(len(now))
	}
	s.mu.Unlock()
	for _, q := range now {
		send := q.f.take(q.depth)
		if closed {
			if send != nil {
				send(s.ctx) // the operation is over: nothing waits for a goroutine, so run it here
			}
			continue
		}
		go func() {
			defer s.inflight.Done()
			if send != nil {
				send(s.ctx)
			}
		}()
	}
}

// close stops the watchdog and waits for the batches in flight. A batch queued afterwards (a resolver
// outliving its operation) is sent synchronously.
func (s *scheduler) close() {
	s.mu.Lock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.timerGen++
	s.mu.Unlock()
	s.inflight.Wait()
}
