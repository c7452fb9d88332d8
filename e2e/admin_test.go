package e2e

import (
	"net/http"
	"testing"

	"github.com/trellisgw/trellis/gateway"
)

// TestAdminSurface: by default the admin endpoints are on the admin handler only (server.admin_addr's
// listener), not on the GraphQL listener; with server.admin_on_main_listener the GraphQL listener
// serves them too. /metrics is wired by cmd/gateway (its tests cover it).
func TestAdminSurface(t *testing.T) {
	for _, tt := range []struct {
		name       string
		onMain     bool
		wantOnMain int
	}{
		{"default: own listener", false, http.StatusNotFound},
		{"admin_on_main_listener", true, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *gateway.Config) { c.Server.AdminOnMainListener = tt.onMain })
			for _, path := range []string{"/admin/usage", "/admin/operations"} {
				if got := getStatus(t, e.server.URL+path); got != tt.wantOnMain {
					t.Errorf("GET %s on the GraphQL listener = %d, want %d", path, got, tt.wantOnMain)
				}
				if got := getStatus(t, e.admin.URL+path); got != http.StatusOK {
					t.Errorf("GET %s on the admin handler = %d, want 200", path, got)
				}
			}
			if got := getStatus(t, e.admin.URL+"/graphql"); got != http.StatusNotFound {
				t.Errorf("GET /graphql on the admin handler = %d, want 404", got)
			}
		})
	}
}

// getStatus returns the status of GET url, with the security headers checked on the way.
func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s: no X-Content-Type-Options: nosniff", url)
	}
	return resp.StatusCode
}
