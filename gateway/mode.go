package gateway

import "github.com/trellisgw/trellis/graph"

// ModeSettings are what server.mode decides, resolved in one place (Config.Mode) into explicit
// settings: New hands each package its own, and no package looks at the mode. docs/configuration.md
// ("What the mode decides") lists them in one table; `gateway config print` shows them.
type ModeSettings struct {
	// Introspection allows __schema/__type, GET /schema.graphql and GraphiQL (package graph).
	// server.introspection when set, else development.
	Introspection bool `yaml:"introspection"`
	// FieldSuggestions puts "Did you mean …?" into validation errors (package graph). Development.
	FieldSuggestions bool `yaml:"field_suggestions"`
	// FanOutPlan serves a request's upstream fan-out plan when it asks with X-Trellis-Trace (package
	// telemetry). Development.
	FanOutPlan bool `yaml:"fan_out_plan"`
	// CostBreakdown answers the cost breakdown header with each field's price (package graph/cost).
	// Development.
	CostBreakdown bool `yaml:"cost_breakdown"`
	// OpenAdminEndpoints serves the /admin/ endpoints without server.admin_token; otherwise they are
	// 404 until it is set (adminRoutes). Development.
	OpenAdminEndpoints bool `yaml:"open_admin_endpoints"`
	// DevelopmentSecret lets HS256 fall back to the well-known development secret when
	// auth.jwt.hs256_secret is empty; otherwise HS256 is off without a secret, and the development
	// secret is refused (package graph/auth). Development.
	DevelopmentSecret bool `yaml:"development_secret"`
}

// Mode resolves server.mode (and server.introspection) into settings; call it on a config with defaults.
func (c Config) Mode() ModeSettings {
	dev := c.Server.Mode != graph.ModeProduction
	m := ModeSettings{
		Introspection:      dev,
		FieldSuggestions:   dev,
		FanOutPlan:         dev,
		CostBreakdown:      dev,
		OpenAdminEndpoints: dev,
		DevelopmentSecret:  dev,
	}
	if c.Server.Introspection != nil {
		m.Introspection = *c.Server.Introspection
	}
	return m
}
