package restkit

import (
	"net/http"
	"path"
	"strings"
)

// Route is one endpoint of a service: an HTTP method, a ServeMux path pattern (wildcards allowed) and
// its handler.
type Route struct {
	// Method is the HTTP method, e.g. http.MethodGet. GET routes also answer HEAD.
	Method string
	// Path is the ServeMux path pattern, e.g. "/users/{id}".
	Path string
	// Handler serves the route.
	Handler http.HandlerFunc
}

// Pattern returns the ServeMux pattern of the route, "METHOD /path".
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

// CommonRoutes returns the routes every service serves besides its own: GET /healthz and
// GET /openapi.json, the latter answering with the given OpenAPI document.
func CommonRoutes(openapi []byte) []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/healthz", Handler: func(w http.ResponseWriter, _ *http.Request) {
			WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		}},
		{Method: http.MethodGet, Path: "/openapi.json", Handler: func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(openapi) // A failed write means the client went away.
		}},
	}
}

// NewHandler registers routes on a new http.ServeMux and wraps it so that:
//   - paths that are not canonical (dot segments, repeated slashes) get 404 instead of the mux's
//     redirect, so an id can never lead to another route;
//   - the mux's own 404 and 405 answers carry the JSON error body (405 keeps its Allow header);
//   - a panicking handler yields 500 INTERNAL instead of a dropped connection;
//   - a W3C traceparent (and baggage) continues the caller's trace in the handlers' request context;
//   - a request's context ends when the caller's DeadlineHeader says it stops waiting.
//
// The mux receives the caller's *http.Request, so middleware around the returned handler can read
// r.Pattern after it returns; r.Pattern is empty when no route matched.
func NewHandler(routes []Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.Pattern(), rt.Handler)
	}
	return &handler{mux: mux}
}

// handler is the wrapper NewHandler returns.
type handler struct {
	mux *http.ServeMux
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared by identity, as net/http does
				panic(v)
			}
			// Best effort: if the handler already wrote headers this only appends to a broken answer.
			WriteError(w, Internal())
		}
	}()
	r = continueTrace(r)
	r, cancel := withCallerDeadline(r)
	defer cancel()
	if p := r.URL.EscapedPath(); p != canonicalPath(p) {
		WriteError(w, NotFound("no such route"))
		return
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		// No route matched: let the mux decide between 404 and 405 (it knows the allowed methods),
		// then replace its plain-text body with ours.
		h.mux.ServeHTTP(&fallbackWriter{ResponseWriter: w}, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// canonicalPath is p as ServeMux would clean it: path.Clean, keeping a trailing slash.
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}

// fallbackWriter replaces the plain-text body of the mux's 404 and 405 answers with the JSON error
// body. Other statuses pass through untouched.
type fallbackWriter struct {
	http.ResponseWriter
	replaced bool
}

// WriteHeader implements http.ResponseWriter.
func (f *fallbackWriter) WriteHeader(code int) {
	var e *Error
	switch code {
	case http.StatusNotFound:
		e = NotFound("no such route")
	case http.StatusMethodNotAllowed:
		e = &Error{Status: code, Code: CodeMethodNotAllowed, Message: "method not allowed for this route"}
	default:
		f.ResponseWriter.WriteHeader(code)
		return
	}
	f.replaced = true
	WriteError(f.ResponseWriter, e)
}

// Write implements http.ResponseWriter; it drops the mux's body when it was replaced.
func (f *fallbackWriter) Write(b []byte) (int, error) {
	if f.replaced {
		return len(b), nil
	}
	return f.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (f *fallbackWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }

// Handler names the route r would be served by, without serving it (faults.Router), so that calls
// turned away by an injected fault are still counted under their route.
func (h *handler) Handler(r *http.Request) (http.Handler, string) { return h.mux.Handler(r) }
