package restkit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/trellisgw/trellis/demo/restkit"
)

// TestValidated: a 200 GET carries a strong ETag of its body and Last-Modified; If-None-Match with
// that tag and If-Modified-Since not before the date get a 304 without a body; a changed body gets
// a new tag and a 200; errors and POSTs pass through untouched.
func TestValidated(t *testing.T) {
	body := "one"
	modified := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := restkit.Validated(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			restkit.WriteError(w, restkit.NotFound("no"))
			return
		}
		restkit.WriteJSON(w, http.StatusOK, body)
	}), func(*http.Request) time.Time { return modified })
	do := func(method, path string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	first := do(http.MethodGet, "/x", nil)
	etag := first.Header().Get("ETag")
	if first.Code != 200 || len(etag) < 3 || etag[0] != '"' || first.Header().Get("Last-Modified") != modified.Format(http.TimeFormat) {
		t.Fatalf("first: %d, ETag %q, Last-Modified %q", first.Code, etag, first.Header().Get("Last-Modified"))
	}
	if r := do(http.MethodGet, "/x", map[string]string{"If-None-Match": etag}); r.Code != http.StatusNotModified || r.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d with %d bytes, want 304 and none", r.Code, r.Body.Len())
	}
	if r := do(http.MethodGet, "/x", map[string]string{"If-Modified-Since": modified.Format(http.TimeFormat)}); r.Code != http.StatusNotModified {
		t.Errorf("If-Modified-Since the date: %d, want 304", r.Code)
	}
	if r := do(http.MethodGet, "/x", map[string]string{"If-Modified-Since": modified.Add(-time.Second).Format(http.TimeFormat)}); r.Code != http.StatusOK {
		t.Errorf("If-Modified-Since before the date: %d, want 200", r.Code)
	}
	body = "two"
	r := do(http.MethodGet, "/x", map[string]string{"If-None-Match": etag})
	if r.Code != http.StatusOK || r.Header().Get("ETag") == etag || r.Body.String() != "\"two\"\n" {
		t.Errorf("after a change: %d, ETag %q (was %q), body %q", r.Code, r.Header().Get("ETag"), etag, r.Body.String())
	}
	if r := do(http.MethodGet, "/missing", nil); r.Code != http.StatusNotFound || r.Header().Get("ETag") != "" {
		t.Errorf("error: %d, ETag %q", r.Code, r.Header().Get("ETag"))
	}
}
