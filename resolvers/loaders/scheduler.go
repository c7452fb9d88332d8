package loaders

import (
	"context"
	"sync"
	"time"
)

// flusher is a loader with keys queued for the next batch.
type flusher interface {
	// take removes and returns the queued batch, or nil when there is none.
	take() func(context.Context)
}

// scheduler decides when one operation's queued keys are sent. All its fields are guarded by mu.
//
// pending counts the field resolutions that are expected or running and whose resolver has not
// returned; waiting counts those of them blocked on a batch or an upstream call. A field that is
// neither is running and may still queue keys, so batches are sent only when waiting >= pending.
type scheduler struct {
	ctx     context.Context // the operation's context: batches outlive the field that queued them first
	maxWait time.Duration
	onForce func() // counts flushes forced by the timer

	mu       sync.Mutex
	pending  int
	waiting  int
	queued   []flusher
	timer    *time.Timer
	timerGen uint64 // invalidates a timer that fired after the queue it was armed for was sent
	closed   bool
	inflight sync.WaitGroup
}

func newScheduler(ctx context.Context, maxWait time.Duration, onForce func()) *scheduler {
	return &scheduler{ctx: ctx, maxWait: maxWait, onForce: onForce}
}

// expect announces n more field resolutions (n may be negative when a field finished).
func (s *scheduler) expect(n int) {
	s.mu.Lock()
	s.pending += n
	s.flushIfIdleLocked()
}

// wait marks the calling field as blocked on an upstream call it makes itself; done must be called
// when the call has returned.
func (s *scheduler) wait() (done func()) {
	s.mu.Lock()
	s.waiting++
	s.flushIfIdleLocked()
	return func() {
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
	}
}

// waitState is the part of a batched key's future the scheduler guards with its mutex.
type waitState struct {
	waiters  int
	resolved bool
}

// block marks the calling field as blocked until w is resolved. It returns false, without blocking,
// when w is resolved already.
func (s *scheduler) block(w *waitState) bool {
	s.mu.Lock()
	if w.resolved {
		s.mu.Unlock()
		return false
	}
	w.waiters++
	s.waiting++
	s.flushIfIdleLocked()
	return true
}

// resolve marks ws resolved. Their waiters count as running from now on, before they are woken: a
// woken field that has not been scheduled yet must still hold back the next batch.
func (s *scheduler) resolve(ws []*waitState) {
	s.mu.Lock()
	for _, w := range ws {
		w.resolved = true
		s.waiting -= w.waiters
	}
	s.mu.Unlock()
}

// enqueue registers a loader whose queue just became non-empty.
func (s *scheduler) enqueue(f flusher) {
	s.mu.Lock()
	s.queued = append(s.queued, f)
	if len(s.queued) == 1 && s.timer == nil {
		gen := s.timerGen
		s.timer = time.AfterFunc(s.maxWait, func() { s.force(gen) })
	}
	s.flushIfIdleLocked()
}

// flushIfIdleLocked sends every queued batch when no field is running, then unlocks s.mu.
func (s *scheduler) flushIfIdleLocked() {
	if len(s.queued) == 0 || s.waiting < s.pending {
		s.mu.Unlock()
		return
	}
	s.flushLocked()
}

// force is the safety timer: it sends whatever is queued.
func (s *scheduler) force(gen uint64) {
	s.mu.Lock()
	if gen != s.timerGen || len(s.queued) == 0 {
		s.mu.Unlock()
		return
	}
	if s.onForce != nil {
		s.onForce()
	}
	s.flushLocked()
}

// flushLocked takes every queued batch, unlocks s.mu and starts the batches, one goroutine each.
func (s *scheduler) flushLocked() {
	queued := s.queued
	s.queued = nil
	s.timerGen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	closed := s.closed
	if !closed {
		s.inflight.Add(len(queued))
	}
	s.mu.Unlock()
	for _, f := range queued {
		send := f.take()
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

// close stops the timer and waits for the batches in flight. A batch queued afterwards (a resolver
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
