package rest_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trellisgw/trellis/upstreams/rest"
)

func TestPath(t *testing.T) {
	tests := []struct {
		name     string
		segments []string
		want     string
	}{
		{"none", nil, ""},
		{"constant", []string{"users"}, "/users"},
		{"plain id", []string{"users", "42"}, "/users/42"},
		{"traversal", []string{"users", "../admin"}, "/users/..%2Fadmin"},
		{"dot dot", []string{"users", ".."}, "/users/%2E%2E"},
		{"dot", []string{"users", "."}, "/users/%2E"},
		{"three dots stay", []string{"users", "..."}, "/users/..."},
		{"query", []string{"users", "1?x=2"}, "/users/1%3Fx=2"},
		{"fragment", []string{"users", "#frag"}, "/users/%23frag"},
		{"space", []string{"users", "a b"}, "/users/a%20b"},
		{"escaped slash stays literal", []string{"users", "%2F"}, "/users/%252F"},
		{"slash", []string{"users", "a/b"}, "/users/a%2Fb"},
		{"unicode", []string{"users", "日本"}, "/users/%E6%97%A5%E6%9C%AC"},
		{"several", []string{"products", "p1", "reviews"}, "/products/p1/reviews"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rest.Path(tt.segments...); got != tt.want {
				t.Errorf("Path(%q) = %q, want %q", tt.segments, got, tt.want)
			}
		})
	}
}

// injectionIDs are ids that must each reach GET /users/{id} as exactly themselves.
var injectionIDs = []string{
	"42", "../admin", "..", ".", "...", "1?x=2", "#frag", "a b", "%2F", "%2E%2E", "a/b", "../../admin?x=1#y",
	"日本", "a&b=c", "+", ";", "\\..\\admin",
}

// TestPathReachesOneRoute sends every injection id through Path to an http.ServeMux that has other
// routes a confused path could reach: each must arrive at /users/{id} with the id unchanged.
func TestPathReachesOneRoute(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"route": "user", "id": r.PathValue("id"), "query": r.URL.RawQuery})
	})
	other := func(route string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"route": route, "path": r.URL.EscapedPath()})
		}
	}
	mux.HandleFunc("GET /users", other("list"))
	mux.HandleFunc("GET /admin", other("admin"))
	mux.HandleFunc("/", other("catch-all"))
	srv := newServer(t, mux)
	c := newClient(t, newTransport(t, rest.Config{}), srv.URL, 0)

	for _, id := range injectionIDs {
		t.Run(id, func(t *testing.T) {
			var got map[string]string
			if err := c.Get(context.Background(), "GET /users/{id}", rest.Path("users", id), nil, &got); err != nil {
				t.Fatalf("Get: %v", err)
			}
			want := map[string]string{"route": "user", "id": id, "query": ""}
			if !maps.Equal(got, want) {
				t.Errorf("id %q reached %v, want %v", id, got, want)
			}
		})
	}
}

func FuzzPath(f *testing.F) {
	for _, id := range injectionIDs {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, seg string) {
		p := rest.Path("users", seg)
		u, err := url.Parse("http://h" + p)
		if err != nil {
			t.Fatalf("Path(users, %q) = %q does not parse: %v", seg, p, err)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
			t.Fatalf("Path(users, %q) = %q has a query or fragment", seg, p)
		}
		escaped, ok := strings.CutPrefix(u.EscapedPath(), "/users/")
		if !ok || strings.Contains(escaped, "/") {
			t.Fatalf("Path(users, %q) = %q is not two segments", seg, p)
		}
		if escaped == "." || escaped == ".." {
			t.Fatalf("Path(users, %q) = %q ends in a dot segment", seg, p)
		}
		back, err := url.PathUnescape(escaped)
		if err != nil || back != seg {
			t.Fatalf("Path(users, %q) = %q unescapes to %q (%v)", seg, p, back, err)
		}
	})
}

// Helpers shared by the package's tests.

func newTransport(t *testing.T, cfg rest.Config) *rest.Transport {
	t.Helper()
	tr := rest.NewTransport(cfg)
	t.Cleanup(tr.Close)
	return tr
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, tr *rest.Transport, baseURL string, timeout time.Duration) *rest.Client {
	t.Helper()
	c, err := tr.NewClient("accounts", baseURL, timeout)
	if err != nil {
		t.Fatalf("NewClient(%q): %v", baseURL, err)
	}
	t.Cleanup(c.Close)
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
