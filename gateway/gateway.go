// Package gateway assembles a Trellis gateway from its config: the upstream clients, the caches, the
// per-request loaders, the resolvers and the HTTP surface. It holds no logic of its own; cmd/gateway runs
// it as a process and the end-to-end tests run it in-process.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/graph"
	"github.com/trellisgw/trellis/graph/auth"
	"github.com/trellisgw/trellis/graph/cachecontrol"
	"github.com/trellisgw/trellis/graph/cost"
	"github.com/trellisgw/trellis/graph/generated"
	"github.com/trellisgw/trellis/graph/persisted"
	"github.com/trellisgw/trellis/graph/ratelimit"
	"github.com/trellisgw/trellis/graph/usage"
	"github.com/trellisgw/trellis/internal/bufpool"
	"github.com/trellisgw/trellis/resolvers"
	"github.com/trellisgw/trellis/resolvers/loaders"
	"github.com/trellisgw/trellis/telemetry"
	"github.com/trellisgw/trellis/upstreams"
)

// Gateway is an assembled gateway. Close it to release its connections and caches.
type Gateway struct {
	handler   http.Handler
	admin     http.Handler
	clients   *upstreams.Clients
	documents *cache.Memory[*ast.QueryDocument]
	persisted cache.Cache[string]
	draining  atomic.Bool
	limiter   *ratelimit.Limiter
	usage     *usage.Usage // nil when schema_usage.enabled is false
}

// Option adjusts how New assembles the gateway.
type Option func(*options)

type options struct {
	logger     *slog.Logger
	metrics    http.Handler
	perRequest []func(http.Handler) http.Handler
	bare       bool // no request instrumentation (WithoutTelemetry)
	reference  bool // gqlgen's executor instead of the engine (WithReferenceExecutor)
}

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithMetricsHandler serves h at GET /metrics on the admin surface (cmd/gateway passes the Prometheus
// exporter's handler). Without it there is no /metrics.
func WithMetricsHandler(h http.Handler) Option { return func(o *options) { o.metrics = h } }

// WithRequestMiddleware adds a middleware that runs on every GraphQL request before the per-request
// loaders are made (authentication joins here).
func WithRequestMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(o *options) { o.perRequest = append(o.perRequest, mw) }
}

// WithoutTelemetry leaves out the request instrumentation (spans, request metrics, access log,
// analytics, fan-out plan), so that a benchmark can measure what it costs. Not for production.
func WithoutTelemetry() Option { return func(o *options) { o.bare = true } }

// New assembles a gateway from cfg (defaults applied, then validated). It does no network I/O.
func New(cfg Config, opts ...Option) (*Gateway, error) {
	o := options{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config is invalid:\n%w", err)
	}
	// The schema's caching hints are read before the clients, whose entity cache they set.
	hints, err := readHints(generated.NewExecutableSchema(generated.Config{}).Schema())
	if err != nil {
		return nil, err
	}
	clients, err := upstreams.New(cfg.Upstreams, upstreams.WithCache(cfg.Cache, entityHints(hints), callerKey))
	if err != nil {
		return nil, fmt.Errorf("upstreams: %w", err)
	}
	docs, err := cache.NewMemory[*ast.QueryDocument]("documents", cfg.Server.DocumentCache)
	if err != nil {
		_ = clients.Close()
		return nil, err
	}
	mode := cfg.Mode() // what server.mode decides, handed to each package below (mode.go)
	cfg.Server.Introspection = &mode.Introspection
	// Every line logged with a request's context carries its request and trace ids.
	o.logger = slog.New(telemetry.WrapHandler(o.logger.Handler()))
	tel, err := telemetry.New(cfg.Telemetry, telemetry.WithFanOutPlan(mode.FanOutPlan),
		telemetry.WithLogger(o.logger))
	if err != nil {
		_ = clients.Close()
		_ = docs.Close()
		return nil, err
	}
	exts, wrap, analytics := tel.Extensions(), tel.Handler, tel
	if o.bare {
		exts, wrap, analytics = nil, func(h http.Handler) http.Handler { return h }, nil
	}
	pqStore, err := persisted.NewStore(cfg.PersistedQueries, o.logger)
	if err != nil {
		_ = clients.Close()
		_ = docs.Close()
		return nil, err
	}
	pq, err := persisted.New(cfg.PersistedQueries, pqStore)
	if err != nil {
		_ = clients.Close()
		_ = docs.Close()
		_ = pqStore.Close()
		return nil, err
	}
	g := &Gateway{clients: clients, documents: docs, persisted: pqStore}
	batches := loaders.New(clients)
	ec := resolvers.New(clients, batches).Config()
	// Introspection and validation see the schema as it is served, without gqlgen's code-generation
	// directives nor @defer/@stream (refused by the gateway).
	ec.Schema = graph.ServedSchema(generated.NewExecutableSchema(generated.Config{}).Schema())
	schema := generated.NewExecutableSchema(ec)
	authn, err := auth.New(cfg.Auth, !mode.DevelopmentSecret, auth.WithLogger(o.logger))
	if err != nil {
		_ = clients.Close()
		_ = docs.Close()
		_ = pqStore.Close()
		return nil, err
	}
	authz, err := auth.NewRules(schema.Schema(), cfg.Auth.AdminScope)
	if err != nil {
		_ = clients.Close()
		_ = docs.Close()
		_ = pqStore.Close()
		return nil, err
	}
	limiter, err := ratelimit.New(cfg.RateLimit, o.logger)
	if err != nil {
		_ = clients.Close()
		_ = docs.Close()
		_ = pqStore.Close()
		return nil, err
	}
	costOpts := []cost.Option{cost.WithLimiter(limiter)}
	if !mode.CostBreakdown {
		costOpts = append(costOpts, cost.WithoutBreakdown())
	}
	// cfg was validated above: trusted_proxies parse.
	clientInfo, _ := ratelimit.ClientInfo(cfg.RateLimit.TrustedProxies)
	contexts := []graph.RequestContext{clientInfo}
	var usageExt []graphql.HandlerExtension
	if cfg.SchemaUsage.On() {
		g.usage = usage.New(cfg.SchemaUsage, schema.Schema(), usage.WithLogger(o.logger))
		contexts = append(contexts, g.usage.WithApp)
		usageExt = append(usageExt, g.usage.Extension())
	}
	perRequest := func(next http.Handler) http.Handler {
		for i := len(o.perRequest) - 1; i >= 0; i-- {
			next = o.perRequest[i](next)
		}
		return authn.Middleware(next) // first: nothing runs for a request with bad credentials
	}
	costs := cost.NewExtension(cfg.Cost, costOpts...)
	buffers := &bufpool.Pool{} // response data: taken by the engine, handed back by the handler once written
	exec, exts, err := executor(schema, batches, authz, costs, tel, append(exts, usageExt...), cfg.Server.DocumentCache.Size, buffers, o)
	if err != nil {
		_ = clients.Close()
		_ = docs.Close()
		_ = pqStore.Close()
		_ = limiter.Close()
		if g.usage != nil {
			_ = g.usage.Close()
		}
		return nil, err
	}
	// The last part that can fail was the executor: nothing after it needs closing on an error.
	responder := cachecontrol.NewResponder(hints, cfg.Server.CacheControl.DefaultMaxAge)
	h := graph.NewHandler(cfg.Server, graph.Deps{
		Schema:          exec,
		Documents:       docs,
		Extensions:      exts,
		PerRequest:      perRequest,
		RequestContext:  contexts,
		Ready:           g.ready,
		Logger:          o.logger,
		Persisted:       pq,
		Buffers:         buffers,
		HideSuggestions: !mode.FieldSuggestions,
		// Every response's Cache-Control, from the operation's fields and the schema's hints.
		CacheControl: responseCacheControl(responder),
	})
	admin := adminRoutes(cfg, o.metrics, limiter, analytics, g.usage, clients)
	g.admin = adminSurface(admin)
	g.limiter = limiter
	// Outermost: the security headers on every answer, then CORS, so that a preflight is answered
	// before anything else runs.
	main := wrap(h)
	if cfg.Server.AdminOnMainListener {
		main = mount(admin, main)
	}
	g.handler = graph.SecurityHeaders(graph.CORS(cfg.Server, main))
	return g, nil
}

// errDraining is /readyz's reason while the gateway drains.
var errDraining = errors.New("draining: the gateway is shutting down")

// Drain makes /readyz answer 503 from now on, so that load balancers stop sending requests before the
// server stops accepting them; requests keep being served.
func (g *Gateway) Drain() { g.draining.Store(true) }

func (g *Gateway) ready(context.Context) error {
	if g.draining.Load() {
		return errDraining
	}
	return g.clients.Ready() // the pools' health: no upstream traffic
}

// Handler returns the gateway's HTTP handler, for the listener on server.addr.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Close releases connections and caches. In-flight requests should be drained first.
func (g *Gateway) Close() error {
	var usageErr error
	if g.usage != nil {
		usageErr = g.usage.Close()
	}
	return errors.Join(g.clients.Close(), g.documents.Close(), g.persisted.Close(), g.limiter.Close(), usageErr)
}
