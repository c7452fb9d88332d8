package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/trellisgw/trellis/internal/secret"
)

// TestAdminToken: every /admin/ endpoint takes the one token, server.admin_token, as a bearer token;
// without one they are open in development mode and absent (404) in production. /metrics is not an
// admin endpoint in this sense (the process wires it; no token).
func TestAdminToken(t *testing.T) {
	const token = "0123456789abcdef-admin"
	endpoints := []struct{ method, path string }{
		{http.MethodGet, "/admin/usage"},
		{http.MethodGet, "/admin/operations"},
		{http.MethodGet, "/admin/schema/usage?coordinate=User.email"},
		{http.MethodGet, "/admin/schema/deprecations"},
		{http.MethodPost, "/admin/cache/purge"},
	}
	tests := []struct {
		name, mode, token, auth string
		want                    int
	}{
		{"development, no token configured", "development", "", "", http.StatusOK},
		{"development, token configured and missing", "development", token, "", http.StatusUnauthorized},
		{"development, token configured and given", "development", token, "Bearer " + token, http.StatusOK},
		{"production, no token configured", "production", "", "", http.StatusNotFound},
		{"production, no token configured, one sent", "production", "", "Bearer " + token, http.StatusNotFound},
		{"production, token missing", "production", token, "", http.StatusUnauthorized},
		{"production, wrong token", "production", token, "Bearer " + token + "x", http.StatusUnauthorized},
		{"production, token in another scheme", "production", token, "Basic " + token, http.StatusUnauthorized},
		{"production, right token", "production", token, "Bearer " + token, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Server.Mode, c.Server.AdminToken = tt.mode, secret.Secret(tt.token)
			gw, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = gw.Close() })
			for _, ep := range endpoints {
				req := httptest.NewRequest(ep.method, ep.path, nil)
				if tt.auth != "" {
					req.Header.Set("Authorization", tt.auth)
				}
				rec := httptest.NewRecorder()
				gw.AdminHandler().ServeHTTP(rec, req)
				if rec.Code != tt.want {
					t.Errorf("%s %s: %d, want %d: %.200s", ep.method, ep.path, rec.Code, tt.want, rec.Body)
				}
				if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s: 401 without a WWW-Authenticate challenge", ep.method, ep.path)
				}
			}
		})
	}
}
