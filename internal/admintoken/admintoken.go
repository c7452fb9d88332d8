// Package admintoken guards the admin endpoints that take a bearer token (GET /admin/usage,
// /admin/schema/usage, /admin/schema/deprecations): one check, so that they stay one scheme.
package admintoken

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Require returns next behind `Authorization: Bearer <token>`, compared in constant time; a request
// without it gets 401 with a WWW-Authenticate challenge. An empty token requires nothing.
func Require(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="trellis-admin"`)
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
