package faults

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Unmatched is the route name of calls that matched no route.
const Unmatched = "unmatched"

// State is the fault and the call counters of one instance. It is safe for concurrent use.
type State struct {
	mu    sync.Mutex // guards fault and rand
	fault Fault
	rand  func() float64

	callsMu sync.RWMutex // guards the map; the counters themselves are atomic
	calls   map[string]*atomic.Int64
	// notModified counts, per route, the HTTP calls answered 304 Not Modified (also counted in calls).
	notModified map[string]*atomic.Int64

	traces traceLog // trace ids of the calls served, for tests of trace propagation

	seen seenHeaders // identity headers of the last call (seen.go)
}

// Option configures a State.
type Option func(*State)

// WithRand makes the State draw its error decisions from rand, which returns numbers in [0, 1).
// Calls to rand are serialized, so it need not be safe for concurrent use. Default: math/rand/v2.
func WithRand(rand func() float64) Option {
	return func(s *State) { s.rand = rand }
}

// NewState returns the state of a healthy instance with no calls counted.
func NewState(opts ...Option) *State {
	s := &State{calls: make(map[string]*atomic.Int64), notModified: make(map[string]*atomic.Int64)}
	for _, opt := range opts {
		opt(s)
	}
	if s.rand == nil {
		s.rand = rand.Float64
	}
	return s
}

// Fault returns the current fault.
func (s *State) Fault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// SetFault validates f and makes it the current fault. It returns the previous fault.
func (s *State) SetFault(f Fault) (Fault, error) {
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.fault
	s.fault = f
	return prev, nil
}

// Count adds one call of route.
func (s *State) Count(route string) { s.add(s.calls, route) }

// countNotModified adds one 304 answer of route.
func (s *State) countNotModified(route string) { s.add(s.notModified, route) }

func (s *State) add(m map[string]*atomic.Int64, route string) {
	if route == "" {
		route = Unmatched
	}
	s.callsMu.RLock()
	c, ok := m[route]
	s.callsMu.RUnlock()
	if !ok {
		s.callsMu.Lock()
		if c, ok = m[route]; !ok {
			c = new(atomic.Int64)
			m[route] = c
		}
		s.callsMu.Unlock()
	}
	c.Add(1)
}

// Calls returns a snapshot of the call counts per route. Routes never called are absent.
func (s *State) Calls() map[string]int { return s.snapshot(s.calls) }

// NotModified returns a snapshot of the calls per route answered 304 Not Modified (each is in Calls
// too), counted before the answer is sent. Routes without any are absent.
func (s *State) NotModified() map[string]int { return s.snapshot(s.notModified) }

func (s *State) snapshot(m map[string]*atomic.Int64) map[string]int {
	s.callsMu.RLock()
	defer s.callsMu.RUnlock()
	out := make(map[string]int, len(m))
	for route, c := range m {
		if n := c.Load(); n > 0 {
			out[route] = int(n)
		}
	}
	return out
}

// ResetCalls sets every call count to zero and forgets the trace ids seen.
func (s *State) ResetCalls() {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	clear(s.calls)
	clear(s.notModified)
	s.traces.reset()
}

// decide draws what the current fault does to one call: the latency to add and whether to fail it.
func (s *State) decide() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fault
	switch {
	case f.ErrorRate <= 0:
		return f.Latency, false
	case f.ErrorRate >= 1:
		return f.Latency, true
	default:
		return f.Latency, s.rand() < f.ErrorRate
	}
}

// sleep waits for d or until ctx is done, whichever comes first, and returns ctx.Err() in the latter
// case.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
