// Package resttest holds test helpers for the sample REST services: issuing requests against a
// handler, checking the JSON error body, and checking an OpenAPI document against the routes a
// service registers.
package resttest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trellisgw/trellis/demo/restkit"
)

// Do serves one request to h and returns the recorded answer. A non-empty body is sent with
// Content-Type application/json unless header overrides it; header holds name, value pairs.
func Do(t testing.TB, h http.Handler, method, target, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return Serve(h, Request(method, target, body, header...))
}

// Serve serves r to h and returns the recorded answer.
func Serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Request builds a server request as Do sends it.
func Request(method, target, body string, header ...string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

// CheckServed fails the test unless h routes a request for each of routes to that route, as told by
// r.Pattern after h returns. Path wildcards are filled with "x".
func CheckServed(t testing.TB, h http.Handler, routes []restkit.Route) {
	t.Helper()
	for _, rt := range routes {
		r := Request(rt.Method, wildcard.ReplaceAllString(rt.Path, "x"), "{}")
		Serve(h, r)
		if r.Pattern != rt.Pattern() {
			t.Errorf("%s %s was routed to %q, want %q", rt.Method, r.URL.Path, r.Pattern, rt.Pattern())
		}
	}
}

// Decode decodes the JSON answer in w into a new T, failing the test on a non-JSON answer.
func Decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json; body %s", ct, w.Body)
	}
	var v T
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	return v
}

// ErrorBody is the JSON shape of an error answer.
type ErrorBody struct {
	Error restkit.Error `json:"error"`
}

// CheckError fails the test unless w is an error answer with the given status, code and field.
func CheckError(t testing.TB, w *httptest.ResponseRecorder, status int, code, field string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	got := Decode[ErrorBody](t, w).Error
	if got.Code != code || got.Field != field {
		t.Errorf("error = {code %q field %q}, want {code %q field %q}", got.Code, got.Field, code, field)
	}
	if got.Message == "" || len(got.Message) > 200 {
		t.Errorf("message %q: want a short non-empty message", got.Message)
	}
}

// openapiDoc is the part of an OpenAPI 3.0 document CheckOpenAPI reads.
type openapiDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths map[string]map[string]struct {
		OperationID string                     `json:"operationId"`
		Parameters  []param                    `json:"parameters"`
		Responses   map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
}

// param is an OpenAPI parameter object, as far as CheckOpenAPI reads it.
type param struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
}

var (
	wildcard = regexp.MustCompile(`\{([^}]+)\}`)
	refRE    = regexp.MustCompile(`"\$ref":\s*"#/([^"]+)"`)
)

// CheckOpenAPI fails the test unless doc is a valid JSON OpenAPI 3.0 document whose operations are
// exactly routes (path and method), each with an operationId, its path parameters declared, a 2xx
// response and a 405 response, and whose local $refs all resolve.
func CheckOpenAPI(t testing.TB, doc []byte, routes []restkit.Route) {
	t.Helper()
	var d openapiDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.0.") || d.Info.Title == "" || d.Info.Version == "" {
		t.Errorf("openapi %q, info %+v: want 3.0.x with title and version", d.OpenAPI, d.Info)
	}
	want := map[string]bool{}
	for _, rt := range routes {
		key := strings.ToLower(rt.Method) + " " + rt.Path
		want[key] = true
		op, ok := d.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s is missing from openapi.json", rt.Pattern())
			continue
		}
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", rt.Pattern())
		}
		for _, m := range wildcard.FindAllStringSubmatch(rt.Path, -1) {
			if !slices.ContainsFunc(op.Parameters, func(p param) bool {
				return p.Name == m[1] && p.In == "path" && p.Required
			}) {
				t.Errorf("%s: path parameter %q not declared as required", rt.Pattern(), m[1])
			}
		}
		has2xx := false
		for code := range op.Responses {
			has2xx = has2xx || strings.HasPrefix(code, "2")
		}
		if !has2xx || op.Responses["405"] == nil {
			t.Errorf("%s: responses %v lack a 2xx or the 405", rt.Pattern(), keys(op.Responses))
		}
	}
	for p, ops := range d.Paths {
		for m := range ops {
			if !want[m+" "+p] {
				t.Errorf("openapi.json documents %s %s, which the service does not serve", strings.ToUpper(m), p)
			}
		}
	}
	var tree any
	_ = json.Unmarshal(doc, &tree)
	for _, m := range refRE.FindAllStringSubmatch(string(doc), -1) {
		node := tree
		for _, part := range strings.Split(m[1], "/") {
			obj, _ := node.(map[string]any)
			node = obj[part]
		}
		if node == nil {
			t.Errorf("$ref #/%s does not resolve", m[1])
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Server serves h on a real listener at a random free port of 127.0.0.1 until the test ends, and
// returns its base URL.
func Server(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	return srv.URL
}
