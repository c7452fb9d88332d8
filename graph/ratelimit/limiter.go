package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/cache"
)

// Limiter decides whether an operation may run, by its client's budget. It is safe for concurrent use.
type Limiter struct {
	cfg   Config
	local *MemoryStore // the store when Config.Store is memory; the fallback for on_error "local"
	redis *RedisStore  // nil unless Config.Store is redis
	usage *Usage
	log   *slog.Logger
	now   func() time.Time

	// backoff leaves Redis alone for a second after a failure (cache.Backoff, shared with the Redis
	// cache), so that an unreachable or hung Redis costs one timeout per second, not one per operation.
	backoff *cache.Backoff

	decisions metric.Int64Counter
	storeErrs metric.Int64Counter
	points    metric.Int64Counter
	ops       metric.Int64Counter

	// countSets holds count's attribute sets per (plan, client kind, client id), all bounded by the
	// config, so that an operation's metering builds none; about maxCountSets at most are kept (two
	// first uses racing may both store).
	countSets sync.Map // countKey → *countSet
	countLen  atomic.Int32
}

// countKey identifies the attributes of count's metrics.
type countKey struct{ plan, kind, client string }

// countSet is count's attributes for one countKey, made once: option slices, so that passing them
// allocates nothing.
type countSet struct{ points, ran []metric.AddOption }

// maxCountSets bounds countSets: beyond it (never with a sane config) the sets are made per call.
const maxCountSets = 1024

// Status is a client's budget after a decision: what extensions.cost.throttleStatus and the RateLimit
// header fields report.
type Status struct {
	// Plan names the client's plan.
	Plan string
	// Capacity is the plan's capacity (maximumAvailable).
	Capacity int
	// RestoreRate is the plan's points per second.
	RestoreRate int
	// Available is what the bucket holds now (currentlyAvailable).
	Available float64
}

// Reservation is the outcome of Charge: settle it with Settle once the operation has run.
type Reservation struct {
	// Client is who was charged.
	Client Client
	// Allowed reports whether the operation may run.
	Allowed bool
	// RetryAfter is, when not Allowed, how long until the budget holds the cost.
	RetryAfter time.Duration
	// Status is the budget after the charge.
	Status Status
	// Degraded reports that the shared store failed and Config.OnRedisError decided.
	Degraded bool

	charged float64
	store   Store // where the cost was taken; nil when nothing was
}

// New returns a limiter over cfg (defaults applied, then validated). log receives the store's
// failures and recoveries; nil discards. Close releases the Redis connections.
func New(cfg Config, log *slog.Logger) (*Limiter, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ratelimit: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	local, err := NewMemoryStore(cfg.MaxClients)
	if err != nil {
		return nil, err
	}
	l := &Limiter{cfg: cfg, local: local, usage: newUsage(cfg.Usage), log: log, now: time.Now}
	l.backoff = cache.NewBackoff(cache.DefaultBackoff, func() time.Time { return l.now() })
	if cfg.Enabled && cfg.Store == StoreRedis {
		l.redis = NewRedisStore(cfg.Redis)
	}
	meter := otel.Meter("github.com/trellisgw/trellis/graph/ratelimit")
	// The OpenTelemetry API only fails here on an invalid instrument name; ours are constants.
	l.decisions, _ = meter.Int64Counter("trellis.ratelimit.decisions",
		metric.WithDescription("Rate-limit decisions by outcome: allowed, limited, fail_open (the shared store failed and the operation was let through)."))
	l.storeErrs, _ = meter.Int64Counter("trellis.ratelimit.store_errors",
		metric.WithDescription("Failed calls to the shared rate-limit store (Redis)."))
	l.points, _ = meter.Int64Counter("trellis.ratelimit.points",
		metric.WithDescription("Cost points consumed (actual cost of operations that ran), by plan and client kind."))
	l.ops, _ = meter.Int64Counter("trellis.ratelimit.operations",
		metric.WithDescription("Operations by plan, client kind and outcome (ran, limited)."))
	return l, nil
}

// Client returns who the request in ctx is charged to.
func (l *Limiter) Client(ctx context.Context) Client { return l.identify(ctx) }

// Usage returns the limiter's metering.
func (l *Limiter) Usage() *Usage { return l.usage }

// Charge takes cost points from c's budget. It never fails: when the shared store does, the
// configured policy decides and the reservation is Degraded.
func (l *Limiter) Charge(ctx context.Context, c Client, cost int) *Reservation {
	r := &Reservation{Client: c, Status: Status{Plan: c.PlanName, Capacity: c.Plan.Capacity, RestoreRate: c.Plan.RestoreRate}}
	want := float64(cost)
	var store Store = l.local
	if l.redis != nil {
		store = l.redis
		if !l.redisUsable() {
			store, r.Degraded = nil, true
		}
	}
	var b Bucket
	if store != nil {
		var err error
		if b, err = store.Take(ctx, c.Key, c.Plan, want); err != nil {
			l.redisFailed(ctx, err)
			store, r.Degraded = nil, true
		} else if l.redis != nil {
			l.redisWorked(ctx)
		}
	}
	if store == nil { // the shared store failed: the policy decides
		switch l.cfg.OnRedisError {
		case OnErrorLocal:
			store = l.local
			b, _ = l.local.Take(ctx, c.Key, c.Plan, want)
		case OnErrorAllow:
			b = Bucket{Allowed: true, Tokens: float64(c.Plan.Capacity)}
		default:
			b = Bucket{Allowed: false}
		}
	}
	r.Allowed, r.Status.Available = b.Allowed, b.Tokens
	decision := "allowed"
	switch {
	case !b.Allowed:
		decision = "limited"
		r.RetryAfter = max(b.RetryAfter(c.Plan, want), time.Second)
		l.usage.record(l.now(), c, 0, true)
		l.ops.Add(ctx, 1, metric.WithAttributes(attribute.String("plan", c.PlanName), attribute.String("client_kind", c.Kind), attribute.String("client", c.ClientID), attribute.String("outcome", "limited")))
	case r.Degraded:
		decision = "fail_open"
	}
	if b.Allowed && store != nil {
		r.store, r.charged = store, want
	}
	l.decisions.Add(ctx, 1, metric.WithAttributes(attribute.String("decision", decision), attribute.String("plan", c.PlanName)))
	return r
}

// Settle refunds what r charged beyond actual, records the operation's usage, and returns the budget
// after the refund. Call it once per allowed reservation.
func (l *Limiter) Settle(ctx context.Context, r *Reservation, actual int) Status {
	if r == nil || !r.Allowed {
		return Status{}
	}
	if refund := r.charged - float64(actual); refund > 0 && r.store != nil {
		b, err := r.store.Refund(ctx, r.Client.Key, r.Client.Plan, refund)
		if err != nil {
			l.redisFailed(ctx, err)
		} else {
			r.Status.Available = b.Tokens
		}
	}
	l.usage.record(l.now(), r.Client, actual, false)
	l.count(ctx, r.Client, actual)
	return r.Status
}

// redisUsable reports whether Redis may be tried now: it is up, or its back-off has passed.
func (l *Limiter) redisUsable() bool { return l.backoff.Usable() }

func (l *Limiter) redisFailed(ctx context.Context, err error) {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return // the client went away: not Redis's fault
	}
	l.storeErrs.Add(ctx, 1)
	if l.backoff.Failed() {
		l.log.LogAttrs(ctx, slog.LevelWarn, "ratelimit: redis unreachable, applying on_redis_error policy",
			slog.String("policy", l.cfg.OnRedisError), slog.String("error", err.Error()))
	}
}

func (l *Limiter) redisWorked(ctx context.Context) {
	if l.backoff.Worked() {
		l.log.LogAttrs(ctx, slog.LevelInfo, "ratelimit: redis reachable again")
	}
}

// Enforcing reports whether budgets are enforced (Config.Enabled); a limiter that does not enforce
// only meters, through Meter.
func (l *Limiter) Enforcing() bool { return l.cfg.Enabled }

// Meter records an operation of the request's client that ran without a charge (budgets off).
func (l *Limiter) Meter(ctx context.Context, actual int) {
	c := l.identify(ctx)
	l.usage.record(l.now(), c, actual, false)
	l.count(ctx, c, actual)
}

// count adds an operation that ran to the metering metrics. Attributes: plan, client kind and, for
// API-key clients only, their client id (bounded by the configured keys; never a user id or address).
func (l *Limiter) count(ctx context.Context, c Client, points int) {
	set := l.countSet(countKey{plan: c.PlanName, kind: c.Kind, client: c.ClientID})
	l.points.Add(ctx, int64(points), set.points...)
	l.ops.Add(ctx, 1, set.ran...)
}

// countSet returns the attributes of k, made on first use.
func (l *Limiter) countSet(k countKey) *countSet {
	if v, ok := l.countSets.Load(k); ok {
		return v.(*countSet)
	}
	plan, kind, client := attribute.String("plan", k.plan), attribute.String("client_kind", k.kind), attribute.String("client", k.client)
	set := &countSet{
		points: []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(plan, kind, client))},
		ran:    []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(plan, kind, client, attribute.String("outcome", "ran")))},
	}
	if l.countLen.Load() < maxCountSets {
		if _, loaded := l.countSets.LoadOrStore(k, set); !loaded {
			l.countLen.Add(1)
		}
	}
	return set
}

// Close releases the Redis connections.
func (l *Limiter) Close() error {
	if l.redis != nil {
		return l.redis.Close()
	}
	return nil
}
