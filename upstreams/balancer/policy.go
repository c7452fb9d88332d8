package balancer

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Policy chooses one instance of a non-empty list. Implementations never block and do no I/O.
type Policy interface {
	// Name returns the policy's config name.
	Name() string
	// Choose returns one of list (len >= 1), preferring any instance but avoid when there is a
	// choice. now is in unix nanoseconds.
	Choose(list []*Instance, avoid string, now int64) *Instance
}

// Interface guards.
var (
	_ Policy = (*roundRobin)(nil)
	_ Policy = (*p2c)(nil)
)

// NewPolicy returns the policy called name (a Config.Policy value). rnd, when not nil, replaces the
// random source of the power-of-two-choices policies (it returns a number in [0, n)).
func NewPolicy(name string, decay time.Duration, rnd func(n uint64) uint64) (Policy, error) {
	if rnd == nil {
		rnd = rand.Uint64N
	}
	switch name {
	case RoundRobin:
		return &roundRobin{}, nil
	case LeastRequest:
		return &p2c{name: LeastRequest, rnd: rnd, cost: func(in *Instance, _ int64) float64 {
			return float64(in.inflight.Load())
		}}, nil
	case PeakEWMA, "":
		return &p2c{name: PeakEWMA, rnd: rnd, cost: func(in *Instance, now int64) float64 {
			return peakEWMACost(in, now, decay)
		}}, nil
	}
	return nil, fmt.Errorf("unknown balancing policy %q", name)
}

// unmeasuredPenalty is the score of an instance with requests in flight but no latency observed yet,
// so that a new instance does not take every request before its first answer (Finagle's penalty).
const unmeasuredPenalty = 1.0 // seconds

// peakEWMACost is the latency score × (in flight + 1).
func peakEWMACost(in *Instance, now int64, decay time.Duration) float64 {
	n := in.inflight.Load()
	s := in.score(now, decay)
	if s == 0 && n > 0 {
		s = unmeasuredPenalty
	}
	return s * float64(n+1)
}

// roundRobin takes the instances in turn.
type roundRobin struct{ next atomic.Uint64 }

// Name implements Policy.
func (r *roundRobin) Name() string { return RoundRobin }

// Choose implements Policy.
func (r *roundRobin) Choose(list []*Instance, avoid string, _ int64) *Instance {
	n := uint64(len(list))
	i := r.next.Add(1) - 1
	in := list[i%n]
	if in.addr == avoid && n > 1 {
		in = list[(i+1)%n]
	}
	return in
}

// p2c is the power of two choices: two distinct random instances, the lower cost wins.
type p2c struct {
	name string
	rnd  func(n uint64) uint64
	cost func(in *Instance, now int64) float64
}

// Name implements Policy.
func (p *p2c) Name() string { return p.name }

// Choose implements Policy.
func (p *p2c) Choose(list []*Instance, avoid string, now int64) *Instance {
	n := uint64(len(list))
	if n == 1 {
		return list[0]
	}
	i := p.rnd(n)
	j := p.rnd(n - 1)
	if j >= i {
		j++
	}
	a, b := list[i], list[j]
	switch {
	case a.addr == avoid:
		return b
	case b.addr == avoid:
		return a
	}
	if p.cost(b, now) < p.cost(a, now) {
		return b
	}
	return a
}
