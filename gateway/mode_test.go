package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/graph/cost"
	"github.com/trellisgw/trellis/telemetry"
)

func TestMode(t *testing.T) {
	on, off := true, false
	all := func(v bool) ModeSettings {
		return ModeSettings{Introspection: v, FieldSuggestions: v, FanOutPlan: v, CostBreakdown: v, OpenAdminEndpoints: v, DevelopmentSecret: v}
	}
	tests := []struct {
		name          string
		mode          string
		introspection *bool
		want          ModeSettings
	}{
		{name: "development", mode: "development", want: all(true)},
		{name: "production", mode: "production", want: all(false)},
		{name: "production with introspection on", mode: "production", introspection: &on,
			want: func() ModeSettings { m := all(false); m.Introspection = true; return m }()},
		{name: "development with introspection off", mode: "development", introspection: &off,
			want: func() ModeSettings { m := all(true); m.Introspection = false; return m }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Server.Mode, c.Server.Introspection = tt.mode, tt.introspection
			if diff := cmp.Diff(c.Mode(), tt.want); diff != "" {
				t.Errorf("Mode (-got +want):\n%s", diff)
			}
		})
	}
}

// TestModeReachesThePackages: each setting the mode resolves to is what the assembled gateway does.
func TestModeReachesThePackages(t *testing.T) {
	for _, mode := range []string{"development", "production"} {
		t.Run(mode, func(t *testing.T) {
			c := DefaultConfig()
			c.Server.Mode = mode
			gw, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = gw.Close() })
			dev := mode == "development"
			doOn := func(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(method, path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				for i := 0; i+1 < len(header); i += 2 {
					req.Header.Set(header[i], header[i+1])
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			do := func(method, path, body string, header ...string) *httptest.ResponseRecorder {
				return doOn(gw.Handler(), method, path, body, header...)
			}
			admin := func(path string) int { return doOn(gw.AdminHandler(), "GET", path, "").Code }
			checks := []struct {
				setting string
				got     bool
			}{
				{"introspection (GET /schema.graphql)", do("GET", "/schema.graphql", "").Code == http.StatusOK},
				{"field suggestions", strings.Contains(do("POST", "/graphql", `{"query":"{ topProduct { upc } }"}`).Body.String(), "Did you mean")},
				{"fan-out plan", !strings.Contains(do("POST", "/graphql", `{"query":"{ __typename }"}`, telemetry.TraceHeader, "1").Body.String(), "not served in production")},
				{"cost breakdown", strings.Contains(do("POST", "/graphql", `{"query":"{ topProducts(first: 1) { upc } }"}`, cost.BreakdownHeader, "1").Body.String(), `"fields"`)},
				{"open GET /admin/operations", admin("/admin/operations") == http.StatusOK},
				{"open GET /admin/usage", admin("/admin/usage") == http.StatusOK},
			}
			for _, ch := range checks {
				if ch.got != dev {
					t.Errorf("%s: %t in %s mode, want %t", ch.setting, ch.got, mode, dev)
				}
			}
		})
	}
}
