package usage

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/graph/identity"
	"github.com/trellisgw/trellis/internal/boundedset"
)

// OperationOther counts operations whose name came after max_operations names, or is too long.
const OperationOther = "other"

// Usage counts which schema coordinates operations use, per client application and version and per
// operation name, over rolling periods. Per request it costs one map update under a mutex: the
// coordinates are computed once per document (infos) and expanded into counts per coordinate only
// when they are flushed to the store, every flush_interval, by a goroutine that Close stops.
type Usage struct {
	cfg     Config
	schema  *ast.Schema
	clients *clients
	ops     *boundedset.Set[string, string]
	series  *boundedset.Set[series, series]
	infos   infos
	store   Store
	log     *slog.Logger
	now     func() time.Time

	deprecatedUses metric.Int64Counter
	storeErrs      metric.Int64Counter

	mu      sync.Mutex // guards pending
	pending map[pendingKey]*pendingCount

	flushMu   sync.Mutex // serializes flushes
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// series is what one row counts for: a client application version and an operation name.
type series struct {
	app identity.App
	op  string
}

type pendingKey struct {
	period time.Time // start of the period the operation ran in
	app    identity.App
	op     string
	info   *opInfo
}

type pendingCount struct {
	n    int64
	last time.Time
}

// Option adjusts New.
type Option func(*Usage)

// WithLogger sets the logger of store failures; the default discards.
func WithLogger(l *slog.Logger) Option { return func(u *Usage) { u.log = l } }

// New returns usage accounting for schema as cfg (defaults applied, valid) describes; it starts the
// flush goroutine. Close it.
func New(cfg Config, schema *ast.Schema, opts ...Option) *Usage {
	cfg = cfg.WithDefaults()
	u := &Usage{
		cfg: cfg, schema: schema, clients: newClients(cfg), infos: infos{schema: schema},
		ops: boundedset.New(cfg.MaxOperations, OperationOther, func(name string) string { return name }),
		series: boundedset.New(cfg.MaxSeries, series{identity.App{Name: ClientOther}, OperationOther},
			func(s series) series { return s }),
		log:     slog.New(slog.DiscardHandler),
		now:     time.Now,
		pending: map[pendingKey]*pendingCount{},
		stop:    make(chan struct{}), done: make(chan struct{}),
	}
	for _, o := range opts {
		o(u)
	}
	if cfg.Store == StoreRedis {
		u.store = &redisStore{client: cfg.Redis.NewClient(), prefix: cfg.Redis.KeyPrefix, timeout: cfg.Redis.Timeout,
			retention: cfg.Retention, period: cfg.Period}
	} else {
		u.store = newMemoryStore(cfg.Retention)
	}
	meter := otel.Meter("github.com/trellisgw/trellis/graph/usage")
	// The OpenTelemetry API only fails here on an invalid instrument name; ours are constants.
	u.deprecatedUses, _ = meter.Int64Counter("trellis.schema.deprecated_uses",
		metric.WithDescription("Operations that used a deprecated field, argument or enum value, by client application and version."))
	u.storeErrs, _ = meter.Int64Counter("trellis.schema.usage.store_errors",
		metric.WithDescription("Failed calls to the usage store (op: flush, whose counts are dropped, or query)."))
	go u.loop()
	return u
}

func (u *Usage) loop() {
	defer close(u.done)
	t := time.NewTicker(u.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-u.stop:
			return
		case <-t.C:
			u.Flush(context.Background())
		}
	}
}

// Close stops the flush goroutine, flushes what is pending and closes the store.
func (u *Usage) Close() error {
	var err error
	u.closeOnce.Do(func() {
		close(u.stop)
		<-u.done
		err = u.Flush(context.Background())
		if cerr := u.store.Close(); err == nil {
			err = cerr
		}
	})
	return err
}

// record counts one operation.
func (u *Usage) record(app identity.App, op string, info *opInfo) {
	now := u.now()
	k := pendingKey{period: now.UTC().Truncate(u.cfg.Period), app: app, op: op, info: info}
	u.mu.Lock()
	p := u.pending[k]
	if p == nil {
		p = &pendingCount{}
		u.pending[k] = p
	}
	p.n++
	p.last = now
	u.mu.Unlock()
}

// Flush adds the counts pending to the store, each in the period its operation ran in. A store failure is logged and the
// counts are dropped (usage is an estimate; it must not grow without bound while a store is down).
func (u *Usage) Flush(ctx context.Context) error {
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	u.mu.Lock()
	pending := u.pending
	u.pending = make(map[pendingKey]*pendingCount, len(pending))
	u.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	type periodCoord struct {
		period time.Time
		coord  string
	}
	sum := map[periodCoord]map[rowKey]Row{}
	for k, p := range pending {
		for _, c := range k.info.coords {
			pc := periodCoord{k.period, c}
			m := sum[pc]
			if m == nil {
				m = map[rowKey]Row{}
				sum[pc] = m
			}
			rk := rowKey{k.app.Name, k.app.Version, k.op}
			merge(m, rk, Row{Coordinate: c, Client: rk.client, Version: rk.version, Operation: rk.operation, Count: p.n, Last: p.last})
		}
	}
	byPeriod := map[time.Time][]Row{}
	for pc, m := range sum {
		byPeriod[pc.period] = append(byPeriod[pc.period], rows(m)...)
	}
	var errs []error
	for period, all := range byPeriod {
		if err := u.store.Add(ctx, period, all); err != nil {
			u.log.WarnContext(ctx, "usage: flush failed; counts dropped", slog.String("error", err.Error()), slog.Int("rows", len(all)))
			u.storeErrs.Add(ctx, 1, flushAttrs)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

var (
	flushAttrs = metric.WithAttributes(attribute.String("op", "flush"))
	queryAttrs = metric.WithAttributes(attribute.String("op", "query"))
)

// Extension returns the gqlgen extension that counts every operation and, with
// deprecation_warnings, warns in extensions.deprecations.
func (u *Usage) Extension() graphql.HandlerExtension {
	if u.cfg.DeprecationWarnings {
		return &warningExtension{extension{u}}
	}
	return &extension{u}
}

type extension struct{ u *Usage }

type warningExtension struct{ extension }

// Interface guards.
var (
	_ graphql.HandlerExtension        = (*extension)(nil)
	_ graphql.OperationContextMutator = (*extension)(nil)
	_ graphql.ResponseInterceptor     = (*warningExtension)(nil)
	_ graphql.OperationContextMutator = (*warningExtension)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (e *extension) ExtensionName() string { return "TrellisSchemaUsage" }

// Validate implements graphql.HandlerExtension.
func (e *extension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext counts the operation, once it is parsed, validated and chosen.
func (e *extension) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil || rc.Doc == nil {
		return nil
	}
	u := e.u
	info := u.infos.get(rc.Doc, rc.Operation)
	app := identity.App{}
	if a := identity.AppFromContext(ctx); a != nil {
		app = *a
	}
	op := rc.Operation.Name
	if op != "" {
		if len(op) > maxClientLen || op == OperationOther {
			op = OperationOther
		} else {
			op = u.ops.Get(op)
		}
	}
	s := u.series.Get(series{app, op})
	u.record(s.app, s.op, info)
	if len(info.deprecated) > 0 {
		u.deprecatedUses.Add(ctx, 1, metric.WithAttributes(
			attribute.String("client_name", app.Name), attribute.String("client_version", app.Version)))
	}
	return nil
}

// InterceptResponse adds extensions.deprecations, the deprecated elements the operation used.
func (e *warningExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	rc := graphql.GetOperationContext(ctx)
	if rc.Operation == nil || rc.Doc == nil {
		return resp
	}
	if info := e.u.infos.get(rc.Doc, rc.Operation); len(info.deprecated) > 0 {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["deprecations"] = info.deprecated
	}
	return resp
}
