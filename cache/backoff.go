package cache

import (
	"sync"
	"time"
)

// DefaultBackoff is how long a shared store is left alone after a failure when the caller does not
// say otherwise.
const DefaultBackoff = time.Second

// Backoff keeps callers off a shared store (Redis) that failed, so that a store that is down or hung
// costs one timeout per back-off period instead of one per request: after Failed, Usable reports false
// until the period has passed; then exactly one caller is let through to probe the store (the others
// are kept off for another period), and Worked or Failed on its outcome decides whether the store is
// up again. It is the one back-off policy of the gateway's shared stores (the Redis cache here, the
// rate limiter's Redis buckets). Safe for concurrent use; the zero value is not usable (NewBackoff).
type Backoff struct {
	period time.Duration
	now    func() time.Time

	mu      sync.Mutex // guards down and retryAt
	down    bool
	retryAt time.Time
}

// NewBackoff returns a Backoff that waits period (DefaultBackoff when <= 0) after each failure. now is
// the clock; nil means time.Now.
func NewBackoff(period time.Duration, now func() time.Time) *Backoff {
	if period <= 0 {
		period = DefaultBackoff
	}
	if now == nil {
		now = time.Now
	}
	return &Backoff{period: period, now: now}
}

// Usable reports whether the store may be tried now: it is up, or its back-off has passed and this
// caller is the one probe of the period.
func (b *Backoff) Usable() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.down {
		return true
	}
	now := b.now()
	if now.Before(b.retryAt) {
		return false
	}
	b.retryAt = now.Add(b.period) // this caller probes; the others wait for its outcome
	return true
}

// Failed records a failure of the store and reports whether it was up until now (the moment to log
// the outage once).
func (b *Backoff) Failed() (wentDown bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	was := b.down
	b.down, b.retryAt = true, b.now().Add(b.period)
	return !was
}

// Worked records a success of the store and reports whether it was down until now (the moment to log
// the recovery once).
func (b *Backoff) Worked() (cameBack bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	was := b.down
	b.down = false
	return was
}
