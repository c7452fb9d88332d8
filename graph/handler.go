package graph

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/graph/graphiql"
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
	// Ready reports whether the gateway can serve (its upstreams are reachable); nil means always.
	Ready func(context.Context) error
	// Logger receives the details hidden from clients. Nil means discard.
	Logger *slog.Logger
}

// NewHandler returns the gateway's HTTP handler: POST and GET /graphql, GET /healthz and GET /readyz,
// behind panic recovery, the body limit and the request deadline. cfg's zero fields take their defaults.
func NewHandler(cfg Config, d Deps) http.Handler {
	cfg = cfg.WithDefaults()
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	// handler.New, not NewDefaultServer: every transport and extension is chosen on purpose.
	gql := handler.New(d.Schema)
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	if d.Documents != nil {
		gql.SetQueryCache(sizedDocuments{d.Documents})
	}
	gql.SetParserTokenLimit(cfg.MaxTokens)
	gql.Use(extension.Introspection{})
	gql.Use(noIncrementalDelivery{})
	for _, ext := range d.Extensions {
		gql.Use(ext)
	}
	gql.SetErrorPresenter(presentError(log))
	gql.SetRecoverFunc(recoverPanic(log))

	var api http.Handler = gql
	if d.PerRequest != nil {
		api = d.PerRequest(api)
	}
	api = withDeadline(cfg.RequestTimeout, limitBody(cfg.MaxBodyBytes, api))

	mux := http.NewServeMux()
	mux.Handle("/graphql", api)
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
	// is allowed: in development mode. Off, GET / is 404.
	if !cfg.Production() {
		ide := graphiql.Handler("/graphql")
		mux.Handle("GET /{$}", ide)
		mux.Handle("GET "+graphiql.AssetPrefix, ide)
	}
	return recoverHTTP(log, mux)
}

// maxCachedQuery is the longest query text whose parsed document is cached. A cached document costs
// about fifteen times its text in memory, so the cache holds at most about
// document_cache.size × 8 KiB × 15 (120 MiB at the default size) however its entries are chosen;
// typical client operations are well under this length.
const maxCachedQuery = 8 << 10

// sizedDocuments is a document cache that does not keep documents of queries over maxCachedQuery.
type sizedDocuments struct {
	graphql.Cache[*ast.QueryDocument]
}

// Add implements graphql.Cache.
func (c sizedDocuments) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	if len(query) <= maxCachedQuery {
		c.Cache.Add(ctx, query, doc)
	}
}

// withDeadline bounds every request by timeout, so that no upstream call outlives it.
func withDeadline(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

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
