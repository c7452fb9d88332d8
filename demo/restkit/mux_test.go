package restkit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func testHandler(t *testing.T) (http.Handler, *[]string) {
	t.Helper()
	var seen []string
	ok := func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.PathValue("id"))
		WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	}
	routes := append([]Route{
		{Method: http.MethodGet, Path: "/things", Handler: ok},
		{Method: http.MethodGet, Path: "/things/{id}", Handler: ok},
		{Method: http.MethodGet, Path: "/panic", Handler: func(http.ResponseWriter, *http.Request) { panic("boom") }},
	}, CommonRoutes([]byte(`{"openapi":"3.0.3"}`))...)
	return NewHandler(routes), &seen
}

func TestHandlerRouting(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		wantStatus     int
		wantCode       string
		wantID         string
		wantPattern    string
	}{
		{method: "GET", target: "/things/1", wantStatus: 200, wantID: "1", wantPattern: "GET /things/{id}"},
		{method: "HEAD", target: "/things/1", wantStatus: 200, wantPattern: "GET /things/{id}"},
		{method: "GET", target: "/things/..%2Fadmin", wantStatus: 200, wantID: "../admin", wantPattern: "GET /things/{id}"},
		// ServeMux never matches a single wildcard to a segment that unescapes to "/": a plain 404.
		{method: "GET", target: "/things/%2F", wantStatus: 404, wantCode: CodeNotFound},
		{method: "GET", target: "/things/a%2Fb", wantStatus: 200, wantID: "a/b", wantPattern: "GET /things/{id}"},
		{method: "GET", target: "/things/%2E%2E", wantStatus: 200, wantID: "..", wantPattern: "GET /things/{id}"},
		{method: "GET", target: "/things/1%3Fx=2", wantStatus: 200, wantID: "1?x=2", wantPattern: "GET /things/{id}"},
		{method: "GET", target: "/things/x/../1", wantStatus: 404, wantCode: CodeNotFound},
		{method: "GET", target: "/things/./1", wantStatus: 404, wantCode: CodeNotFound},
		{method: "GET", target: "/things//1", wantStatus: 404, wantCode: CodeNotFound},
		{method: "GET", target: "/things/..", wantStatus: 404, wantCode: CodeNotFound},
		{method: "GET", target: "/things/", wantStatus: 404, wantCode: CodeNotFound},
		{method: "GET", target: "/things/1/2", wantStatus: 404, wantCode: CodeNotFound},
		{method: "GET", target: "/admin", wantStatus: 404, wantCode: CodeNotFound},
		{method: "GET", target: "/", wantStatus: 404, wantCode: CodeNotFound},
		{method: "POST", target: "/things/1", wantStatus: 405, wantCode: CodeMethodNotAllowed},
		{method: "DELETE", target: "/healthz", wantStatus: 405, wantCode: CodeMethodNotAllowed},
		{method: "GET", target: "/panic", wantStatus: 500, wantCode: CodeInternal, wantPattern: "GET /panic"},
		{method: "GET", target: "/healthz", wantStatus: 200, wantPattern: "GET /healthz"},
		{method: "GET", target: "/openapi.json", wantStatus: 200, wantPattern: "GET /openapi.json"},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			h, seen := testHandler(t)
			r := httptest.NewRequest(tc.method, tc.target, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.wantStatus, w.Body)
			}
			if r.Pattern != tc.wantPattern {
				t.Errorf("r.Pattern = %q, want %q", r.Pattern, tc.wantPattern)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tc.wantStatus == 405 && w.Header().Get("Allow") == "" {
				t.Error("405 without Allow header")
			}
			if tc.wantCode != "" {
				var body struct{ Error Error }
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tc.wantCode {
					t.Errorf("body %s: want code %s (%v)", w.Body, tc.wantCode, err)
				}
			}
			if tc.wantID != "" && (len(*seen) != 1 || (*seen)[0] != tc.wantID) {
				t.Errorf("handler saw ids %q, want %q", *seen, tc.wantID)
			}
		})
	}
}

func TestHandlerAbortPanicPropagates(t *testing.T) {
	h := NewHandler([]Route{{Method: "GET", Path: "/abort", Handler: func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}}})
	defer func() {
		if v := recover(); v != http.ErrAbortHandler { //nolint:errorlint // identity check
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/abort", nil))
}
