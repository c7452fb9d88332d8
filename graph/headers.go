package graph

import "net/http"

// SecurityHeaders sets on every response what a security scanner expects of an API:
// X-Content-Type-Options: nosniff, so that no browser guesses a type other than the one declared (a
// JSON error quoting input rendered as HTML, say). The gateway sends no Server header (net/http sets
// none, and nothing here adds one), so its software and version are not advertised; the HTML page
// (GraphiQL) adds its own Referrer-Policy and Content-Security-Policy.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
