package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
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
		gql.SetQueryCache(d.Documents)
	}
	gql.Use(extension.Introspection{})
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
	return recoverHTTP(log, mux)
}

// withDeadline bounds every request by timeout, so that no upstream call outlives it.
func withDeadline(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// limitBody reads the request body up front, at most limit bytes, and answers 413 with a
// BAD_USER_INPUT error when it is larger, or 400 when it is not JSON, before anything parses it.
// (gqlgen's POST transport would read it without a limit, answer a read error with 200 and echo an
// undecodable body back in its error.)
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			writeGraphQLError(w, http.StatusBadRequest, errcode.New(errcode.BadUserInput, "the request body could not be read"))
			return
		}
		if int64(len(body)) > limit {
			tooLarge(w, limit)
			return
		}
		if !json.Valid(body) {
			// Refused here so that the client gets a code, and none of its body echoed back.
			writeGraphQLError(w, http.StatusBadRequest, errcode.New(errcode.BadUserInput, "the request body is not valid JSON"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close") // the rest of the body is not read
	writeGraphQLError(w, http.StatusRequestEntityTooLarge,
		errcode.New(errcode.BadUserInput, fmt.Sprintf("the request body is larger than %d bytes", limit)))
}

// writeGraphQLError answers with a GraphQL response holding only err.
func writeGraphQLError(w http.ResponseWriter, status int, err *gqlerror.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": gqlerror.List{err}})
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
