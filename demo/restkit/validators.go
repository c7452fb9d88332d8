package restkit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"
)

// Validated wraps h so that its 200 answers to GET and HEAD carry validators and its conditional
// requests get real 304s: a strong ETag computed from the body (a SHA-256 of the bytes, so that any
// change of the data, a review added for one, changes it), a Last-Modified of modified(r) when it is
// not zero (it must not be older than the last change of anything the answer holds), and
// If-None-Match / If-Modified-Since evaluated by net/http's ServeContent (RFC 9110 §13; If-None-Match
// wins). Range requests are not served: the answer is always whole. Other methods and statuses pass
// through untouched. The wrapper names routes as h does (it implements Router when h does).
func Validated(h http.Handler, modified func(*http.Request) time.Time) http.Handler {
	return &validated{next: h, modified: modified}
}

type validated struct {
	next     http.Handler
	modified func(*http.Request) time.Time
}

// ServeHTTP implements http.Handler.
func (v *validated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		v.next.ServeHTTP(w, r)
		return
	}
	buf := &bufferedWriter{header: w.Header(), status: http.StatusOK}
	v.next.ServeHTTP(buf, r)
	if buf.status != http.StatusOK {
		w.WriteHeader(buf.status)
		_, _ = w.Write(buf.body.Bytes()) // A failed write means the client went away.
		return
	}
	sum := sha256.Sum256(buf.body.Bytes())
	w.Header().Set("ETag", `"`+base64.RawURLEncoding.EncodeToString(sum[:16])+`"`)
	var lm time.Time
	if v.modified != nil {
		lm = v.modified(r)
	}
	r = r.Clone(r.Context())
	r.Header.Del("Range")
	r.Header.Del("If-Range")
	http.ServeContent(w, r, "", lm, bytes.NewReader(buf.body.Bytes()))
}

// Handler names the route as the wrapped handler does (Router), "" when it cannot.
func (v *validated) Handler(r *http.Request) (http.Handler, string) {
	if rt, ok := v.next.(interface {
		Handler(*http.Request) (http.Handler, string)
	}); ok {
		return rt.Handler(r)
	}
	return v.next, ""
}

// bufferedWriter keeps an answer's status and body; its headers are the real writer's.
type bufferedWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if !b.wrote {
		b.status, b.wrote = code, true
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
