package graph

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trellisgw/trellis/graph/graphiql"
)

// TestGraphiQLMount checks where GraphiQL is served: at GET / and under its asset prefix in development
// mode, nowhere in production mode; and that it never shadows the other endpoints.
func TestGraphiQLMount(t *testing.T) {
	tests := []struct {
		name, mode, method, path string
		wantStatus               int
		wantType                 string
	}{
		{"page", ModeDevelopment, "GET", "/", 200, "text/html; charset=utf-8"},
		{"page HEAD", ModeDevelopment, "HEAD", "/", 200, "text/html; charset=utf-8"},
		{"licences", ModeDevelopment, "GET", graphiql.AssetPrefix + graphiql.LicensesFile, 200, "text/plain; charset=utf-8"},
		{"default mode is development", "", "GET", "/", 200, "text/html; charset=utf-8"},
		{"POST page", ModeDevelopment, "POST", "/", 405, ""},
		{"not the root", ModeDevelopment, "GET", "/nothing", 404, ""},
		{"healthz still", ModeDevelopment, "GET", "/healthz", 200, "application/json"},
		{"production page", ModeProduction, "GET", "/", 404, ""},
		{"production assets", ModeProduction, "GET", graphiql.AssetPrefix + graphiql.LicensesFile, 404, ""},
		{"production healthz", ModeProduction, "GET", "/healthz", 200, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, Config{Mode: tt.mode}, Deps{})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("%s %s: status %d, want %d; body %.200s", tt.method, tt.path, rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantType != "" && rec.Header().Get("Content-Type") != tt.wantType {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tt.wantType)
			}
			if tt.wantStatus == 200 && tt.path == "/" && tt.method == "GET" {
				if !strings.Contains(rec.Body.String(), `data-endpoint="/graphql"`) {
					t.Errorf("page does not point at /graphql:\n%s", rec.Body)
				}
				if rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("page headers lack the policy or nosniff: %v", rec.Header())
				}
			}
			if tt.method == http.MethodPost && rec.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}
