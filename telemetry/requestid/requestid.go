// Package requestid gives every request one id: the caller's X-Request-Id when it is well formed, else
// a new random one. The id is echoed in the response, put in the request's context for the log lines
// (telemetry.WrapHandler adds it as request_id), the server span and extensions.requestId of internal
// errors. It is the only implementation of request ids in the gateway; it imports nothing of ours.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// Header carries the request id: honoured when a client or proxy sends a well-formed one, generated
// otherwise, and echoed in every response.
const Header = "X-Request-Id"

// MaxLen bounds an honoured X-Request-Id.
const MaxLen = 64

type key struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// FromContext returns the request id ctx carries, or "" outside a request.
func FromContext(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(key{}).(string)
	return id
}

// From returns in when it is a well-formed request id (see Valid), else a new random one (32 hex
// digits).
func From(in string) string {
	if Valid(in) {
		return in
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// Valid reports whether s is 1 to MaxLen characters of A-Z a-z 0-9 - _ . : (nothing that could forge
// a log line or a header).
func Valid(s string) bool {
	if s == "" || len(s) > MaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// Ensure returns r's id and a request carrying it: the id already in r's context when an outer
// middleware set one, else From(r's X-Request-Id header), which it also sets on w's header. Calling it
// twice on the way in gives the same id once.
func Ensure(w http.ResponseWriter, r *http.Request) (string, *http.Request) {
	id, ctx := EnsureContext(w, r)
	if ctx == r.Context() {
		return id, r
	}
	return id, r.WithContext(ctx)
}

// EnsureContext is Ensure for a middleware that derives r's context further before it copies r
// once: it returns the id and a context carrying it (r's own when it already does).
func EnsureContext(w http.ResponseWriter, r *http.Request) (string, context.Context) {
	if id := FromContext(r.Context()); id != "" {
		return id, r.Context()
	}
	id := From(r.Header.Get(Header))
	w.Header()[Header] = []string{id}
	return id, NewContext(r.Context(), id)
}

// Middleware gives every request that passes through it an id (see Ensure).
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, r = Ensure(w, r)
		next.ServeHTTP(w, r)
	})
}
