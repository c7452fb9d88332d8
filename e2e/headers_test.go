package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/trellisgw/trellis/gateway"
)

// TestSecurityHeaders: every answer of the gateway, whatever the route or the outcome, says
// X-Content-Type-Options: nosniff and carries no Server header; the HTML page (GraphiQL) also has a
// Referrer-Policy.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) {
		c.Server.CORS.Enabled = true
		c.Server.CORS.AllowedOrigins = []string{"https://app.example.com"}
	})
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		wantHTML                 bool
	}{
		{name: "query", method: http.MethodPost, path: "/graphql", body: `{"query":"{ __typename }"}`, header: map[string]string{"Content-Type": "application/json"}},
		{name: "refused request", method: http.MethodPost, path: "/graphql", body: `x`, header: map[string]string{"Content-Type": "text/plain"}},
		{name: "GET without a query", method: http.MethodGet, path: "/graphql"},
		{name: "CORS preflight", method: http.MethodOptions, path: "/graphql", header: map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}},
		{name: "SDL", method: http.MethodGet, path: "/schema.graphql"},
		{name: "healthz", method: http.MethodGet, path: "/healthz"},
		{name: "readyz", method: http.MethodGet, path: "/readyz"},
		{name: "GraphiQL", method: http.MethodGet, path: "/", wantHTML: true},
		{name: "not found", method: http.MethodGet, path: "/nothing-here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.server.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
				t.Errorf("%d: X-Content-Type-Options %q, want nosniff once", resp.StatusCode, got)
			}
			if got := resp.Header.Get("Server"); got != "" {
				t.Errorf("Server: %q, want none", got)
			}
			html := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html")
			if html != tt.wantHTML {
				t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			if got := resp.Header.Get("Referrer-Policy"); html && got != "no-referrer" {
				t.Errorf("HTML with Referrer-Policy %q, want no-referrer", got)
			}
		})
	}
}
