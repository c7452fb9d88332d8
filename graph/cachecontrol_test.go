package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestResponseCacheControl: a successful query carries what Deps.CacheControl says; errors,
// refusals and batches are no-store; every response varies by Authorization.
func TestResponseCacheControl(t *testing.T) {
	var asked []string
	cc := func(_ context.Context, oc *graphql.OperationContext) string {
		asked = append(asked, oc.Operation.Name)
		return "public, max-age=42"
	}
	h := newTestHandler(t, Config{Batching: BatchConfig{Enabled: true}}, Deps{CacheControl: cc})
	tests := []struct {
		name, method, body, want string
	}{
		{"a query", http.MethodPost, `{"query":"query Q { __typename }"}`, "public, max-age=42"},
		{"over GET", http.MethodGet, `query Q { __typename }`, "public, max-age=42"},
		{"an error", http.MethodPost, `{"query":"{ topProducts { name } }"}`, "no-store"}, // no resolvers: the field fails
		{"a validation error", http.MethodPost, `{"query":"{ nope }"}`, "no-store"},
		{"a GET mutation", http.MethodGet, `mutation { addReview(input: {productUpc: "p1", body: "b", rating: 1}) { review { id } } }`, "no-store"},
		{"a batch", http.MethodPost, `[{"query":"{ __typename }"}]`, "no-store"},
		{"a bad body", http.MethodPost, `{`, ""}, // refused before any operation: decodeRequest's own answer
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *http.Request
			if tt.method == http.MethodGet {
				r = httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(tt.body), nil)
				r.Header.Set("GraphQL-Preflight", "1")
			} else {
				r = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(tt.body))
				r.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Header().Get("Cache-Control"); got != tt.want {
				t.Errorf("Cache-Control %q, want %q (status %d, %s)", got, tt.want, w.Code, w.Body)
			}
			if tt.want != "" && !strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Authorization") {
				t.Errorf("Vary %q lacks Authorization", w.Header().Values("Vary"))
			}
		})
	}
	if len(asked) != 2 || asked[0] != "Q" {
		t.Errorf("CacheControl asked for %q, want the two successful queries", asked)
	}
}
