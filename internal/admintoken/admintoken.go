// Package admintoken guards the gateway's admin endpoints with a bearer token.
package admintoken

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Require returns next behind `Authorization: Bearer <token>`: a request without it, or with another
// token, gets 401 with a JSON body and a WWW-Authenticate challenge. An empty token lets every request
// through (the gateway mounts such endpoints in development mode only).
func Require(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="trellis-admin"`)
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
