package auth

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/trellisgw/trellis/graph"
	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/identity"
	"github.com/trellisgw/trellis/upstreams/outbound"
)

// Middleware authenticates every request before next runs:
//   - no Authorization header and no API key: the caller is anonymous;
//   - a valid bearer token or API key: the caller (identity.FromContext) and what each upstream is
//     told about it (outbound) are put in the request's context;
//   - anything else (a malformed, expired or badly signed token, an unknown API key, both at once):
//     401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750) and an UNAUTHENTICATED
//     GraphQL error; next does not run.
//
// Credentials never reach a log line, an error message or a metric.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		authz := r.Header.Values("Authorization")
		keys := r.Header.Values(a.apiKeyHeader)
		var (
			caller *identity.Caller
			rej    *rejection
			kind   string
		)
		switch {
		case len(authz) == 0 && len(keys) == 0:
			a.in.decision(ctx, outcomeAnonymous, string(identity.Anonymous), "")
			next.ServeHTTP(w, r)
			return
		case len(authz)+len(keys) > 1:
			kind, rej = "ambiguous", reject(reasonAmbiguous, nil)
		case len(keys) == 1:
			kind = string(identity.APIKey)
			if caller = a.apiKey(keys[0]); caller == nil {
				rej = reject(reasonUnknownAPIKey, nil)
			}
		default:
			kind = "jwt"
			token, ok := bearer(authz[0])
			if !ok {
				rej = reject(reasonScheme, nil)
			} else {
				caller, rej = a.verify.verify(ctx, token)
			}
		}
		if rej != nil {
			a.in.decision(ctx, outcomeRejected, kind, rej.reason)
			a.logRejection(ctx, r, kind, rej)
			writeUnauthenticated(w, r, rej.message())
			return
		}
		a.in.decision(ctx, outcomeAuthenticated, string(caller.Kind), "")
		ctx = identity.NewContext(ctx, caller)
		var forwarded string
		if len(authz) == 1 {
			forwarded = authz[0]
		}
		if h := a.outboundFor(caller, forwarded); h != nil {
			ctx = outbound.NewContext(ctx, h)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearer returns the token of an `Authorization: Bearer <token>` header value.
func bearer(v string) (string, bool) {
	scheme, token, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// logRejection logs, at debug level, why credentials were refused: the reason and the library's
// error, which never quotes the token (jwx reports claims by name and signatures as "could not
// verify"). A key server that is down is logged at warn by the fetch itself, once per attempt.
func (a *Authenticator) logRejection(ctx context.Context, r *http.Request, kind string, rej *rejection) {
	if !a.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("kind", kind), slog.String("reason", rej.reason), slog.String("remote", r.RemoteAddr)}
	if rej.err != nil {
		attrs = append(attrs, slog.String("error", rej.err.Error()))
	}
	a.log.LogAttrs(ctx, slog.LevelDebug, "auth: credentials refused", attrs...)
}

// writeUnauthenticated answers 401 with the RFC 6750 challenge and a GraphQL error body, in the media
// type the client negotiated (graph.WriteRequestError: the middleware runs after the transport decoded
// the request; application/json when it did not).
func writeUnauthenticated(w http.ResponseWriter, r *http.Request, msg string) {
	h := w.Header()
	h.Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+msg+`"`)
	h.Set("Cache-Control", "no-store")
	graph.WriteRequestError(w, r, errcode.New(errcode.Unauthenticated, msg))
}
