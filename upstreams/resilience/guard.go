package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// Errors a Guard fails a call with before any I/O, wrapped in an *upstreamerr.Error with code
// UPSTREAM_UNAVAILABLE.
var (
	// ErrBreakerOpen: the upstream's circuit breaker is open (or half-open with its probes taken).
	ErrBreakerOpen = errors.New("circuit breaker open")
	// ErrOverloaded: the upstream already has max_in_flight attempts in flight.
	ErrOverloaded = errors.New("too many calls in flight")
)

// Reasons a call is refused before any I/O, as Hooks.Rejected reports them.
const (
	RejectBreaker  = "breaker_open"
	RejectOverload = "max_in_flight"
)

// Hooks lets the caller observe a Guard (metrics). Every field may be nil.
type Hooks struct {
	// Retried is called before each retry of route.
	Retried func(ctx context.Context, route string)
	// Rejected is called when a call of route is refused without I/O, with RejectBreaker or
	// RejectOverload.
	Rejected func(ctx context.Context, route, reason string)
}

// Attempt describes one attempt to AttemptFunc.
type Attempt struct {
	// N counts attempts from 1.
	N int
	// Avoid is the address the previous attempt went to: pick another instance when there is one.
	Avoid string
}

// AttemptFunc makes one attempt within ctx and returns the address it went to ("" when none was
// picked) and its error, an *upstreamerr.Error or nil.
type AttemptFunc func(ctx context.Context, a Attempt) (instance string, err error)

// Guard holds the retry budget, the breaker and the concurrency limit of one upstream. Safe for
// concurrent use.
type Guard struct {
	name        string
	cfg         Config
	budget      *Budget
	breaker     *gobreaker.TwoStepCircuitBreaker[struct{}]
	inflight    atomic.Int64
	idempotent  map[string]bool
	hooks       Hooks
	callTimeout time.Duration
}

// GuardOption configures a Guard.
type GuardOption func(*guardOptions)

type guardOptions struct {
	hooks       Hooks
	callTimeout time.Duration
}

// WithCallTimeout bounds each call, its retries included, on top of the caller's deadline; 0 (the
// default) means only the caller's deadline. An attempt cut by it counts against the upstream; one
// cut because the caller gave up does not.
func WithCallTimeout(d time.Duration) GuardOption { return func(o *guardOptions) { o.callTimeout = d } }

// WithHooks sets the hooks.
func WithHooks(h Hooks) GuardOption { return func(o *guardOptions) { o.hooks = h } }

// errFailed and errExcluded are what the breaker is told about an attempt.
var (
	errFailed   = errors.New("attempt failed")
	errExcluded = errors.New("caller gave up")
)

// NewGuard returns the guard of the upstream called name; cfg's zero fields take their defaults.
func NewGuard(name string, cfg Config, opts ...GuardOption) (*Guard, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("upstream %s: %w", name, err)
	}
	var o guardOptions
	for _, opt := range opts {
		opt(&o)
	}
	g := &Guard{
		name:        name,
		cfg:         cfg,
		budget:      NewBudget(*cfg.Retry.BudgetRatio, *cfg.Retry.BudgetMinPerSecond, nil),
		idempotent:  make(map[string]bool, len(cfg.Retry.Idempotent)),
		hooks:       o.hooks,
		callTimeout: o.callTimeout,
	}
	for _, r := range cfg.Retry.Idempotent {
		g.idempotent[r] = true
	}
	b := cfg.Breaker
	g.breaker = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         name,
		MaxRequests:  uint32(b.HalfOpenRequests), //nolint:gosec // validated >= 1 and small
		Interval:     b.Window,
		BucketPeriod: b.Window / 10,
		Timeout:      b.OpenTime,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.Requests >= uint32(b.MinRequests) && //nolint:gosec // validated >= 1
				float64(c.TotalFailures) >= b.FailureRatio*float64(c.Requests)
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errExcluded) },
	})
	return g, nil
}

// BreakerState returns 0 when the breaker is closed, 1 when half-open and 2 when open.
func (g *Guard) BreakerState() int {
	switch g.breaker.State() {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	}
	return 0
}

// Idempotent reports whether a call of route may be retried: safe says the transport's own rule
// (REST GET; gRPC Get*/List*), and the config may add routes.
func (g *Guard) Idempotent(route string, safe bool) bool { return safe || g.idempotent[route] }

// Do runs fn once, and again on another instance while the call is idempotent, the attempt failed
// as unavailable or timed out, attempts and the retry budget are left, and the backoff (or the
// upstream's Retry-After) fits in ctx's deadline. Every attempt first passes the concurrency limit
// and the breaker; a refused attempt ends the call with UPSTREAM_UNAVAILABLE, without I/O.
func (g *Guard) Do(ctx context.Context, route string, idempotent bool, fn AttemptFunc) error {
	parent := ctx
	if g.callTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.callTimeout)
		defer cancel()
	}
	g.budget.Call()
	var avoid string
	for n := 1; ; n++ {
		inst, err := g.attempt(parent, ctx, route, Attempt{N: n, Avoid: avoid}, fn)
		if err == nil || !idempotent || n >= g.cfg.Retry.Attempts || ctx.Err() != nil {
			return err
		}
		ue, ok := errors.AsType[*upstreamerr.Error](err)
		if !ok || (ue.Code != upstreamerr.Unavailable && ue.Code != upstreamerr.Timeout) ||
			errors.Is(err, ErrBreakerOpen) || errors.Is(err, ErrOverloaded) {
			return err
		}
		wait := Backoff(n, g.cfg.Retry.BackoffBase, g.cfg.Retry.BackoffMax, nil)
		if ue.RetryAfter > g.cfg.Retry.BackoffMax {
			return err
		}
		wait = max(wait, ue.RetryAfter)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			return err
		}
		if !g.budget.Retry() {
			return err
		}
		if g.hooks.Retried != nil {
			g.hooks.Retried(ctx, route)
		}
		if !sleep(ctx, wait) {
			return err
		}
		avoid = inst
	}
}

// attempt runs one attempt through the limit, the breaker and the attempt timeout. parent is the
// caller's context, ctx the call's (with the call timeout).
func (g *Guard) attempt(parent, ctx context.Context, route string, a Attempt, fn AttemptFunc) (string, error) {
	if g.inflight.Add(1) > int64(g.cfg.MaxInFlight) {
		g.inflight.Add(-1)
		return "", g.reject(ctx, route, RejectOverload, ErrOverloaded)
	}
	defer g.inflight.Add(-1)
	done, err := g.breaker.Allow()
	if err != nil {
		return "", g.reject(ctx, route, RejectBreaker, fmt.Errorf("%w: %w", ErrBreakerOpen, err))
	}
	actx := ctx
	if g.cfg.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, g.cfg.AttemptTimeout)
		defer cancel()
	}
	inst, err := fn(actx, a)
	switch code := upstreamerr.CodeOf(err); {
	case err == nil, code == upstreamerr.BadInput, code == upstreamerr.NotFound:
		done(nil)
	case parent.Err() != nil:
		done(errExcluded) // the caller gave up: says nothing about the upstream
	default:
		done(errFailed)
	}
	return inst, err
}

// reject is the failure of an attempt refused before any I/O.
func (g *Guard) reject(ctx context.Context, route, reason string, cause error) error {
	if g.hooks.Rejected != nil {
		g.hooks.Rejected(ctx, route, reason)
	}
	return &upstreamerr.Error{Upstream: g.name, Op: route, Code: upstreamerr.Unavailable, Err: cause}
}

// sleep waits d or until ctx is done, and reports whether it waited the whole d.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
