package resilience

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config tunes the retries, the breaker and the concurrency limit of one upstream. The zero value
// of a field means its default.
type Config struct {
	// AttemptTimeout bounds each attempt; 0 means only the call's timeout and the request's deadline
	// apply. Default 0.
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
	// MaxInFlight caps the attempts in flight to the upstream; one over it fails at once with
	// UPSTREAM_UNAVAILABLE. Default 1024.
	MaxInFlight int `yaml:"max_in_flight"`
	// Retry tunes retries of idempotent calls.
	Retry RetryConfig `yaml:"retry"`
	// Breaker tunes the circuit breaker.
	Breaker BreakerConfig `yaml:"breaker"`
}

// RetryConfig tunes retries. Only idempotent calls are retried: REST GETs, gRPC methods named Get*
// or List*, and the routes or methods listed in Idempotent.
type RetryConfig struct {
	// Attempts is the most attempts per call, the first included; 1 disables retries. Default 3.
	Attempts int `yaml:"attempts"`
	// BackoffBase is the first retry's backoff; each retry doubles it, with full jitter. Default 25ms.
	BackoffBase time.Duration `yaml:"backoff_base"`
	// BackoffMax caps a backoff, and a Retry-After the upstream asks for: a longer one is not waited
	// for (the call fails). Default 1s.
	BackoffMax time.Duration `yaml:"backoff_max"`
	// BudgetRatio is the share of calls that may be retried, 0..1, so retries cannot amplify an
	// outage. Default 0.2.
	BudgetRatio *float64 `yaml:"budget_ratio"`
	// BudgetMinPerSecond is the retries allowed per second whatever the ratio, so a quiet upstream
	// can still retry. Default 10.
	BudgetMinPerSecond *float64 `yaml:"budget_min_per_second"`
	// Idempotent lists further routes ("POST /search") or full gRPC methods
	// ("/pkg.Service/Method") that are safe to retry. Mutations are never retried unless listed.
	Idempotent []string `yaml:"idempotent,omitempty"`
}

// BreakerConfig tunes the circuit breaker.
type BreakerConfig struct {
	// Window is the rolling window over which the failure ratio is computed. Default 10s.
	Window time.Duration `yaml:"window"`
	// FailureRatio opens the breaker when this share of the window's attempts failed, 0..1.
	// Default 0.5.
	FailureRatio float64 `yaml:"failure_ratio"`
	// MinRequests is how many attempts the window needs before the ratio counts. Default 20.
	MinRequests int `yaml:"min_requests"`
	// OpenTime is how long the breaker stays open before it lets probes through (half-open).
	// Default 5s.
	OpenTime time.Duration `yaml:"open_time"`
	// HalfOpenRequests is how many probes may be in flight while half-open; that many successes close
	// the breaker, one failure opens it again. Default 1.
	HalfOpenRequests int `yaml:"half_open_requests"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1024
	}
	r := &c.Retry
	if r.Attempts == 0 {
		r.Attempts = 3
	}
	if r.BackoffBase == 0 {
		r.BackoffBase = 25 * time.Millisecond
	}
	if r.BackoffMax == 0 {
		r.BackoffMax = time.Second
	}
	if len(r.Idempotent) == 0 {
		r.Idempotent = nil // `idempotent: []` and no key mean the same
	}
	if r.BudgetRatio == nil {
		v := 0.2
		r.BudgetRatio = &v
	}
	if r.BudgetMinPerSecond == nil {
		v := 10.0
		r.BudgetMinPerSecond = &v
	}
	b := &c.Breaker
	if b.Window == 0 {
		b.Window = 10 * time.Second
	}
	if b.FailureRatio == 0 {
		b.FailureRatio = 0.5
	}
	if b.MinRequests == 0 {
		b.MinRequests = 20
	}
	if b.OpenTime == 0 {
		b.OpenTime = 5 * time.Second
	}
	if b.HalfOpenRequests == 0 {
		b.HalfOpenRequests = 1
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.AttemptTimeout < 0 {
		add("attempt_timeout: must be >= 0 (0 = the call's timeout), got %s", c.AttemptTimeout)
	}
	if c.MaxInFlight < 0 {
		add("max_in_flight: must be >= 1, got %d", c.MaxInFlight)
	}
	r := c.Retry
	if r.Attempts < 0 || r.Attempts > 10 {
		add("retry.attempts: must be 1..10 (1 = no retries), got %d", r.Attempts)
	}
	if r.BackoffBase < 0 {
		add("retry.backoff_base: must be > 0, got %s", r.BackoffBase)
	}
	if r.BackoffMax < 0 || (r.BackoffMax > 0 && r.BackoffMax < r.BackoffBase) {
		add("retry.backoff_max: must be >= retry.backoff_base, got %s", r.BackoffMax)
	}
	if v := r.BudgetRatio; v != nil && (math.IsNaN(*v) || *v < 0 || *v > 1) {
		add("retry.budget_ratio: must be 0..1, got %v", *v)
	}
	if v := r.BudgetMinPerSecond; v != nil && (math.IsNaN(*v) || *v < 0) {
		add("retry.budget_min_per_second: must be >= 0, got %v", *v)
	}
	for i, s := range r.Idempotent {
		if s == "" {
			add("retry.idempotent[%d]: empty; want \"METHOD /path\" or \"/pkg.Service/Method\"", i)
		}
	}
	b := c.Breaker
	if b.Window < 0 {
		add("breaker.window: must be > 0, got %s", b.Window)
	}
	if math.IsNaN(b.FailureRatio) || b.FailureRatio < 0 || b.FailureRatio > 1 {
		add("breaker.failure_ratio: must be 0..1, got %v", b.FailureRatio)
	}
	if b.MinRequests < 0 {
		add("breaker.min_requests: must be >= 1, got %d", b.MinRequests)
	}
	if b.OpenTime < 0 {
		add("breaker.open_time: must be > 0, got %s", b.OpenTime)
	}
	if b.HalfOpenRequests < 0 {
		add("breaker.half_open_requests: must be >= 1, got %d", b.HalfOpenRequests)
	}
	return errors.Join(errs...)
}
