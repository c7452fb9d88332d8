package balancer

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNoInstance is returned by Pick when the pool has no instance at all (nothing resolved yet).
var ErrNoInstance = errors.New("no instance")

// Outcome is what Done reports about one attempt.
type Outcome int

// Outcomes of an attempt.
const (
	// Success: the instance answered (an answer that refuses the caller's input counts as success).
	Success Outcome = iota
	// Failure: the instance failed (unreachable, timed out, 5xx); counts towards outlier ejection.
	Failure
	// Ignore: the attempt says nothing about the instance (the caller gave up first).
	Ignore
)

// Option configures a Pool.
type Option func(*Pool)

// WithClock makes the pool read the time from now instead of time.Now (tests).
func WithClock(now func() time.Time) Option { return func(p *Pool) { p.now = now } }

// WithRand replaces the random source of the power-of-two-choices policies (tests).
func WithRand(rnd func(n uint64) uint64) Option { return func(p *Pool) { p.rnd = rnd } }

// WithEjectHook calls fn with the instance's address every time the outlier detector ejects it.
func WithEjectHook(fn func(addr string)) Option { return func(p *Pool) { p.onEject = fn } }

// Pool is the instances of one upstream and the policy that picks among them. Safe for concurrent
// use; Pick and Done never block on each other.
type Pool struct {
	cfg     Config
	policy  Policy
	now     func() time.Time
	rnd     func(n uint64) uint64
	onEject func(addr string)

	snap atomic.Pointer[snapshot]
	mu   sync.Mutex // serializes snapshot rebuilds and ejections
}

// snapshot is an immutable view of the pool; a change builds a new one.
type snapshot struct {
	all      []*Instance
	eligible []*Instance // healthy and not ejected
	panic    bool        // too few eligible: pick from all
	expiry   int64       // earliest ejection end after the snapshot was built; 0 = none
}

// NewPool returns an empty pool; cfg's zero fields take their defaults.
func NewPool(cfg Config, opts ...Option) (*Pool, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg}
	for _, opt := range opts {
		opt(p)
	}
	if p.now == nil {
		p.now = time.Now
	}
	pol, err := NewPolicy(cfg.Policy, cfg.EWMADecay, p.rnd)
	if err != nil {
		return nil, err
	}
	p.policy = pol
	p.snap.Store(&snapshot{})
	return p, nil
}

// Policy returns the name of the pool's policy.
func (p *Pool) Policy() string { return p.policy.Name() }

// Update makes addrs the pool's instances. Instances already known keep their counters and health.
func (p *Pool) Update(addrs []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.snap.Load().all
	byAddr := make(map[string]*Instance, len(old))
	for _, in := range old {
		byAddr[in.addr] = in
	}
	all := make([]*Instance, 0, len(addrs))
	seen := make(map[string]bool, len(addrs))
	for _, a := range addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		in := byAddr[a]
		if in == nil {
			in = &Instance{addr: a}
		}
		all = append(all, in)
	}
	p.rebuildLocked(all)
}

// Ensure adds those of addrs the pool does not have yet, keeping the others (for a pool fed by
// what connects rather than by a resolver).
func (p *Pool) Ensure(addrs []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	all := p.snap.Load().all
	known := make(map[string]bool, len(all))
	for _, in := range all {
		known[in.addr] = true
	}
	grown := all
	for _, a := range addrs {
		if !known[a] {
			known[a] = true
			grown = append(grown[:len(grown):len(grown)], &Instance{addr: a})
		}
	}
	if len(grown) != len(all) {
		p.rebuildLocked(grown)
	}
}

// Instances returns the pool's instances (a snapshot; do not modify the slice).
func (p *Pool) Instances() []*Instance { return p.snap.Load().all }

// SetHealthy records an active health check's verdict on the instance at addr.
func (p *Pool) SetHealthy(addr string, healthy bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.snap.Load()
	for _, in := range s.all {
		if in.addr == addr && in.unhealthy.Load() == healthy {
			in.unhealthy.Store(!healthy)
			p.rebuildLocked(s.all)
			return
		}
	}
}

// Picked is one pick's instance. Call Done exactly once when the attempt ends.
type Picked struct {
	// Instance is the picked instance.
	Instance *Instance
	pool     *Pool
	start    int64
}

// Pick chooses an instance, avoiding the one at avoid (the previous attempt's) when there is a
// choice. It never blocks and does no I/O. It fails with ErrNoInstance only when the pool is empty.
func (p *Pool) Pick(avoid string) (Picked, error) {
	now := p.now().UnixNano()
	s := p.snap.Load()
	if s.expiry != 0 && now >= s.expiry && p.mu.TryLock() {
		// An ejection ended: publish the instance again. Whoever holds the lock is rebuilding
		// anyway, so a busy lock is never waited for.
		s = p.snap.Load()
		p.rebuildLocked(s.all)
		p.mu.Unlock()
		s = p.snap.Load()
	}
	list := s.eligible
	if s.panic {
		list = s.all
	}
	if len(list) == 0 {
		return Picked{}, ErrNoInstance
	}
	in := p.policy.Choose(list, avoid, now)
	in.inflight.Add(1)
	return Picked{Instance: in, pool: p, start: now}, nil
}

// Done reports the attempt's outcome: it updates the in-flight count, the latency score (peak_ewma
// only) and the outlier detector.
func (pk Picked) Done(o Outcome) {
	in, p := pk.Instance, pk.pool
	if in == nil {
		return
	}
	in.inflight.Add(-1)
	if o == Ignore {
		return
	}
	if p.policy.Name() == PeakEWMA {
		now := p.now().UnixNano()
		in.observe(now, time.Duration(now-pk.start), p.cfg.EWMADecay)
	}
	if o == Success {
		if in.consecutive.Load() != 0 {
			in.consecutive.Store(0)
		}
		return
	}
	if in.consecutive.Add(1) >= int64(p.cfg.Outlier.ConsecutiveFailures) {
		p.eject(in, p.now().UnixNano())
	}
}

// eject takes in out of rotation unless the limits forbid it.
func (p *Pool) eject(in *Instance, now int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.ejectedUntil.Load() > now {
		return
	}
	s := p.snap.Load()
	ejected := 0
	member := false
	for _, x := range s.all {
		if x.ejectedUntil.Load() > now {
			ejected++
		}
		member = member || x == in
	}
	limit := max(1, len(s.all)*p.cfg.Outlier.MaxEjectionPercent/100)
	if !member || ejected >= limit || ejected+1 >= len(s.all) {
		return
	}
	times := in.ejections.Add(1)
	d := min(time.Duration(times)*p.cfg.Outlier.BaseEjectionTime, p.cfg.Outlier.MaxEjectionTime)
	in.ejectedUntil.Store(now + int64(d))
	in.consecutive.Store(0)
	p.rebuildLocked(s.all)
	if p.onEject != nil {
		p.onEject(in.addr)
	}
}

// rebuildLocked publishes a snapshot of all. p.mu must be held.
func (p *Pool) rebuildLocked(all []*Instance) {
	now := p.now().UnixNano()
	s := &snapshot{all: all, eligible: make([]*Instance, 0, len(all))}
	for _, in := range all {
		if in.eligible(now) {
			s.eligible = append(s.eligible, in)
		}
		if until := in.ejectedUntil.Load(); until > now && (s.expiry == 0 || until < s.expiry) {
			s.expiry = until
		}
	}
	s.panic = len(s.eligible) == 0 || len(s.eligible)*100 < *p.cfg.PanicThreshold*len(all)
	p.snap.Store(s)
}

// Panic reports whether the pool currently balances over all instances because too few are eligible.
func (p *Pool) Panic() bool { return p.snap.Load().panic }
