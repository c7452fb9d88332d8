package faults

import "net/http"

// injectedBody is the body of the answer to a call failed on purpose.
const injectedBody = `{"error":{"code":"UNAVAILABLE","message":"injected fault"}}` + "\n"

// Router is implemented by handlers that can name the route of a request without serving it, as
// *http.ServeMux does. Middleware uses it to count calls failed on purpose under their route.
type Router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// Middleware applies the current fault to every call of next and counts the call by route, before
// anything is answered, so that a client that has its answer can rely on the count.
//
// The route is the pattern next's Router method names (next must route with an http.ServeMux), or
// Unmatched when next does not implement Router or nothing matches. A W3C traceparent continues the
// caller's trace: next gets it in the request's context and TraceIDs remembers its trace id. The added latency ends early when
// the request's context is done, and nothing is written then.
func (s *State) Middleware(next http.Handler) http.Handler {
	router, _ := next.(Router)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = s.continueHTTP(r)
		rt := route(router, r)
		s.Count(rt)
		s.seeHTTP(r.Header)
		latency, fail := s.decide()
		if err := sleep(r.Context(), latency); err != nil {
			return
		}
		if fail {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(injectedBody))
			return
		}
		next.ServeHTTP(&notModifiedCounter{ResponseWriter: w, count: func() { s.countNotModified(rt) }}, r)
	})
}

// notModifiedCounter counts a 304 answer before it is sent.
type notModifiedCounter struct {
	http.ResponseWriter
	count func()
}

// WriteHeader implements http.ResponseWriter.
func (n *notModifiedCounter) WriteHeader(code int) {
	if code == http.StatusNotModified {
		n.count()
	}
	n.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (n *notModifiedCounter) Unwrap() http.ResponseWriter { return n.ResponseWriter }

// route names the route of r without serving it.
func route(router Router, r *http.Request) string {
	if router == nil {
		return Unmatched
	}
	_, pattern := router.Handler(r)
	if pattern == "" {
		return Unmatched
	}
	return pattern
}
