package graph

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/trellisgw/trellis/graph/graphiql"
	"github.com/trellisgw/trellis/internal/bufpool"
	"github.com/trellisgw/trellis/internal/opmemo"
	"github.com/trellisgw/trellis/telemetry"
	"github.com/trellisgw/trellis/telemetry/requestid"
)

// Deps are what the HTTP surface is built from.
type Deps struct {
	// Schema is the executable schema (generated.NewExecutableSchema over the resolvers).
	Schema graphql.ExecutableSchema
	// Documents caches parsed and validated documents across requests.
	Documents graphql.Cache[*ast.QueryDocument]
	// Extensions are added to the executor after the built-in ones (per-operation loaders, …).
	Extensions []graphql.HandlerExtension
	// PerRequest wraps the GraphQL handler with what each request needs before execution (identity).
	// Nil means none.
	PerRequest func(http.Handler) http.Handler
	// RequestContext derive, in order and after PerRequest, the context a request's operations run in,
	// each adding what a part reads later (the client's address, the client application), without
	// another copy of the request. Nil means none.
	RequestContext []RequestContext
	// Ready reports whether the gateway can serve (every upstream has a healthy instance); nil means
	// always. It should read state, not call upstreams: /readyz is probed often.
	Ready func(context.Context) error
	// Persisted resolves persisted queries and enforces trusted documents (package graph/persisted).
	// Nil means none: a request that names one is refused with PERSISTED_QUERY_NOT_SUPPORTED.
	Persisted PersistedQueries
	// Logger receives the details hidden from clients. Nil means discard.
	Logger *slog.Logger
	// CacheControl returns the Cache-Control of a query's successful response (from the schema's
	// @cacheControl hints, graph/cachecontrol). Nil means "no-store" for every response.
	CacheControl func(ctx context.Context, oc *graphql.OperationContext) string
	// Buffers is the pool the executor takes response data buffers from (engine.WithBuffers): each
	// response's data is handed back to it once written, and must not be kept by anything else. Nil
	// means none: nothing is handed back.
	Buffers *bufpool.Pool
	// HideSuggestions leaves "Did you mean …?" out of validation errors (production mode; package
	// gateway resolves the mode). Default false: suggestions shown.
	HideSuggestions bool
}

// NewHandler returns the gateway's HTTP handler: POST and GET /graphql (GraphQL over HTTP), GET
// /schema.graphql, GET /healthz and GET /readyz, behind panic recovery, request ids, the request
// deadline, the admission gate (admit) and the protections of cfg. cfg's zero fields take their defaults.
func NewHandler(cfg Config, d Deps) http.Handler {
	cfg = cfg.WithDefaults()
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(telemetry.WrapHandler(log.Handler())) // request_id and trace_id, once per line

	// The executor alone, not gqlgen's handler.Server: the transport is ours (decodeRequest and
	// executeHandler), and every extension is chosen on purpose. The transport parses, limits and
	// validates the document (documents) and hands it to the executor through its query cache; the
	// executor's own settings below only matter were it to parse a query itself. requestRules comes
	// first, so that nothing else (cost, rate limits) spends work on an operation it refuses.
	docs := documents{schema: d.Schema.Schema(), cache: d.Documents, tokenLimit: cfg.MaxTokens,
		limits: cfg.Limits, hideSuggestions: d.HideSuggestions}
	exec := executor.New(d.Schema)
	exec.SetQueryCache(handedOver{})
	exec.SetParserTokenLimit(cfg.MaxTokens)
	exec.SetDisableSuggestion(d.HideSuggestions)
	exec.SetDefaultRulesFn(func() *rules.Rules { return validationRules(d.HideSuggestions) })
	exts := []graphql.HandlerExtension{requestRules{introspection: cfg.IntrospectionEnabled(), introspectionAt: &opmemo.Memo[*ast.Position]{}}}
	if cfg.IntrospectionEnabled() {
		exts = append(exts, extension.Introspection{})
	}
	exts = append(exts, d.Extensions...)
	for _, ext := range exts {
		exec.Use(ext)
	}
	exec.SetErrorPresenter(presentError(log))
	exec.SetRecoverFunc(recoverPanic(log))
	contextsOf := newOperationContexts(exec, exts) // the executor complete: its field middleware is made

	ins, hv := newInstruments(), newHeaderValues()
	var api http.Handler = executeHandler{exec: exec, docs: docs, persisted: d.Persisted, log: log, ins: ins,
		buffers: d.Buffers, cacheControl: d.CacheControl, contexts: d.RequestContext, hv: hv, contextsOf: contextsOf}
	if d.PerRequest != nil {
		api = d.PerRequest(api)
	}
	api = recoverGraphQL(log, admit(cfg.ConcurrencyLimit(), cfg.RequestTimeout, ins, decodeRequest(cfg, ins, hv, api)))

	mux := http.NewServeMux()
	mux.Handle("/graphql", api)
	mux.Handle("GET /schema.graphql", schemaHandler(cfg, d.Schema))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if d.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := d.Ready(ctx); err != nil {
				log.LogAttrs(ctx, slog.LevelWarn, "readyz: not ready", slog.String("error", err.Error()))
				writeStatus(w, http.StatusServiceUnavailable, "unavailable")
				return
			}
		}
		writeStatus(w, http.StatusOK, "ready")
	})
	// GraphiQL at GET / helps developers and attackers alike, so it is served only where introspection
	// is allowed (server.introspection; by default in development mode only). Off, GET / is 404.
	if cfg.IntrospectionEnabled() {
		ide := graphiql.Handler("/graphql")
		mux.Handle("GET /{$}", ide)
		mux.Handle("GET "+graphiql.AssetPrefix, ide)
	}
	return requestid.Middleware(recoverHTTP(log, mux))
}

// maxCachedQuery is the longest query text whose parsed document is cached. A cached document costs
// about fifteen times its text in memory, so the cache holds at most about
// document_cache.size × 8 KiB × 15 (120 MiB at the default size) however its entries are chosen;
// typical client operations are well under this length.
const maxCachedQuery = 8 << 10

// recoverHTTP answers 500 instead of dropping the connection when a handler outside the executor panics.
func recoverHTTP(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.LogAttrs(r.Context(), slog.LevelError, "http: panic", slog.Any("panic", p))
				writeStatus(w, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": status})
}
