package upstreams_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/upstreams"
	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/health"
	"github.com/trellisgw/trellis/upstreams/resilience"
	"github.com/trellisgw/trellis/upstreams/rest"
)

func TestConfigValidate(t *testing.T) {
	valid := upstreams.DefaultConfig
	tests := []struct {
		name     string
		mutate   func(*upstreams.Config)
		wantKeys []string // nil: valid
	}{
		{"default", func(*upstreams.Config) {}, nil},
		{"zero timeouts take defaults", func(c *upstreams.Config) {
			c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.Timeout = 0 })
			c.EditGRPC("orders", func(g *upstreams.GRPCConfig) { g.Timeout = 0 })
		}, nil},
		{"https and path prefix", func(c *upstreams.Config) {
			c.EditREST("products", func(r *upstreams.RESTConfig) { r.URL = "https://products.internal/api" })
		}, nil},
		{"dns target", func(c *upstreams.Config) {
			c.EditGRPC("orders", func(g *upstreams.GRPCConfig) { g.Target = "dns:///orders.internal:443" })
		}, nil},
		{"accounts.url missing", func(c *upstreams.Config) { c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.URL = "" }) }, []string{"rest.accounts.url"}},
		{"accounts.url without scheme", func(c *upstreams.Config) {
			c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.URL = "127.0.0.1:4101" })
		}, []string{"rest.accounts.url"}},
		{"products.url ftp", func(c *upstreams.Config) {
			c.EditREST("products", func(r *upstreams.RESTConfig) { r.URL = "ftp://127.0.0.1:4201" })
		}, []string{"rest.products.url"}},
		{"reviews.url without host", func(c *upstreams.Config) { c.EditREST("reviews", func(r *upstreams.RESTConfig) { r.URL = "http://" }) }, []string{"rest.reviews.url"}},
		{"reviews.url with query", func(c *upstreams.Config) {
			c.EditREST("reviews", func(r *upstreams.RESTConfig) { r.URL = "http://127.0.0.1:4301?x=1" })
		}, []string{"rest.reviews.url"}},
		{"accounts.url with fragment", func(c *upstreams.Config) {
			c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.URL = "http://127.0.0.1:4101#f" })
		}, []string{"rest.accounts.url"}},
		{"products.timeout negative", func(c *upstreams.Config) {
			c.EditREST("products", func(r *upstreams.RESTConfig) { r.Timeout = -time.Second })
		}, []string{"rest.products.timeout"}},
		{"inventory.target missing", func(c *upstreams.Config) { c.EditGRPC("inventory", func(g *upstreams.GRPCConfig) { g.Target = "" }) }, []string{"grpc.inventory.target"}},
		{"inventory.target with spaces", func(c *upstreams.Config) {
			c.EditGRPC("inventory", func(g *upstreams.GRPCConfig) { g.Target = "not a target ::" })
		}, []string{"grpc.inventory.target"}},
		{"orders.target a URL", func(c *upstreams.Config) {
			c.EditGRPC("orders", func(g *upstreams.GRPCConfig) { g.Target = "http://orders:80" })
		}, []string{"grpc.orders.target"}},
		{"orders.timeout negative", func(c *upstreams.Config) { c.EditGRPC("orders", func(g *upstreams.GRPCConfig) { g.Timeout = -1 }) }, []string{"grpc.orders.timeout"}},
		{"transport.dial_timeout negative", func(c *upstreams.Config) { c.Transport.DialTimeout = -time.Second }, []string{"transport.dial_timeout"}},
		{"transport.max_response_bytes negative", func(c *upstreams.Config) { c.Transport.MaxResponseBytes = -1 },
			[]string{"transport.max_response_bytes"}},
		{"several urls", func(c *upstreams.Config) {
			c.EditREST("accounts", func(r *upstreams.RESTConfig) {
				r.URL, r.URLs = "", []string{"http://a:1", "http://accounts.internal:4101"}
			})
		}, nil},
		{"several targets", func(c *upstreams.Config) {
			c.EditGRPC("orders", func(g *upstreams.GRPCConfig) { g.Target, g.Targets = "", []string{"a:1", "dns:///orders.internal:443"} })
		}, nil},
		{"url and urls", func(c *upstreams.Config) {
			c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.URLs = []string{"http://a:1"} })
		}, []string{"rest.accounts.urls"}},
		{"urls of another scheme", func(c *upstreams.Config) {
			c.EditREST("reviews", func(r *upstreams.RESTConfig) { r.URL, r.URLs = "", []string{"http://a:1", "https://b:1"} })
		}, []string{"rest.reviews.urls[1]"}},
		{"bad url in urls", func(c *upstreams.Config) {
			c.EditREST("reviews", func(r *upstreams.RESTConfig) { r.URL, r.URLs = "", []string{"http://a:1", "ftp://b"} })
		}, []string{"rest.reviews.urls[1]", "rest.reviews.urls[1]"}},
		{"target and targets", func(c *upstreams.Config) {
			c.EditGRPC("inventory", func(g *upstreams.GRPCConfig) { g.Targets = []string{"a:1"} })
		}, []string{"grpc.inventory.targets"}},
		{"unix target among others", func(c *upstreams.Config) {
			c.EditGRPC("inventory", func(g *upstreams.GRPCConfig) { g.Target, g.Targets = "", []string{"a:1", "unix:///s"} })
		}, []string{"grpc.inventory.targets[1]"}},
		{"traffic keys", func(c *upstreams.Config) {
			bad := 2.0
			c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.Traffic.Balancer.Policy = "random" })
			c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.Traffic.DNSRefresh = -1 })
			c.EditREST("products", func(r *upstreams.RESTConfig) { r.Traffic.Balancer.Outlier.MaxEjectionPercent = 101 })
			c.EditREST("reviews", func(r *upstreams.RESTConfig) { r.Traffic.Resilience.Retry.BudgetRatio = &bad })
			c.EditREST("reviews", func(r *upstreams.RESTConfig) { r.HealthCheck.Path = "healthz" })
			c.EditGRPC("inventory", func(g *upstreams.GRPCConfig) { g.Traffic.Resilience.Breaker.FailureRatio = 3 })
			c.EditGRPC("orders", func(g *upstreams.GRPCConfig) { g.Traffic.Resilience.MaxInFlight = -1 })
		}, []string{
			"rest.accounts.policy", "rest.accounts.dns_refresh", "rest.products.outlier.max_ejection_percent", "rest.reviews.retry.budget_ratio",
			"rest.reviews.health_check.path", "grpc.inventory.breaker.failure_ratio", "grpc.orders.max_in_flight",
		}},
		{"everything at once", func(c *upstreams.Config) {
			*c = upstreams.Config{
				Transport: rest.Config{MaxIdleConnsPerHost: -1, DialTimeout: -1},
				Defaults:  upstreams.Defaults{Timeout: -1},
				REST: map[string]upstreams.RESTConfig{
					"accounts": {Timeout: -1},
					"products": {URL: "gopher://x"},
					"reviews":  {URL: "http://x?q"},
					"Billing":  {URL: "http://billing:80"},
				},
				GRPC: map[string]upstreams.GRPCConfig{"orders": {Timeout: -1}, "products": {Target: "p:1"}},
			}
		}, []string{
			"transport.max_idle_conns_per_host", "transport.dial_timeout", "defaults.timeout",
			"rest.Billing", "rest.accounts.url", "rest.accounts.timeout", "grpc.products",
			"rest.products.url", "rest.reviews.url", "grpc.orders.target", "grpc.orders.timeout",
			"grpc.inventory",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.wantKeys == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors naming %v", tt.wantKeys)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.wantKeys) {
				t.Errorf("Validate() gave %d errors, want %d:\n%s", len(lines), len(tt.wantKeys), err)
			}
			for _, key := range tt.wantKeys {
				found := false
				for _, l := range lines {
					found = found || strings.HasPrefix(l, key+": ")
				}
				if !found {
					t.Errorf("Validate() does not name %s:\n%s", key, err)
				}
			}

			// New refuses the same config, with the same keys, and leaves nothing running (goleak).
			if c, err := upstreams.New(cfg); err == nil {
				_ = c.Close()
				t.Errorf("New accepted a config Validate refuses")
			} else if !strings.Contains(err.Error(), tt.wantKeys[0]) {
				t.Errorf("New error %q does not name %s", err, tt.wantKeys[0])
			}
		})
	}
}

func TestConfigWithDefaults(t *testing.T) {
	attempts, off := 7, 0
	got := upstreams.Config{
		Defaults: upstreams.Defaults{Timeout: 3 * time.Second, Traffic: upstreams.Traffic{
			Balancer: balancer.Config{Policy: balancer.RoundRobin}, Resilience: resilience.Config{Retry: resilience.RetryConfig{Attempts: 2}},
		}},
		REST: map[string]upstreams.RESTConfig{"accounts": {URL: "http://a", Timeout: time.Second,
			Traffic: upstreams.Traffic{
				Balancer:   balancer.Config{PanicThreshold: &off}, // an explicit zero is kept, not defaulted
				Resilience: resilience.Config{Retry: resilience.RetryConfig{Attempts: attempts}},
			}}},
		GRPC: map[string]upstreams.GRPCConfig{"orders": {Target: "o:1"}},
	}.WithDefaults()
	// The defaults block: its own keys, the rest from the built-in defaults.
	defaults := upstreams.Traffic{
		DNSRefresh: upstreams.DefaultDNSRefresh,
		Balancer:   balancer.Config{Policy: balancer.RoundRobin}.WithDefaults(),
		Resilience: resilience.Config{Retry: resilience.RetryConfig{Attempts: 2}}.WithDefaults(),
	}
	// accounts overrides the timeout, the attempts and the panic threshold, and inherits the policy.
	accounts := defaults
	accounts.Resilience.Retry.Attempts = attempts
	accounts.Balancer.PanicThreshold = &off
	want := upstreams.Config{
		Transport: rest.Config{}.WithDefaults(),
		Defaults:  upstreams.Defaults{Timeout: 3 * time.Second, Traffic: defaults},
		REST: map[string]upstreams.RESTConfig{
			"accounts": {URL: "http://a", Timeout: time.Second, Traffic: accounts, HealthCheck: health.Config{}.WithDefaults()},
		},
		GRPC: map[string]upstreams.GRPCConfig{"orders": {Target: "o:1", Timeout: 3 * time.Second, Traffic: defaults}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("WithDefaults (-got +want):\n%s", diff)
	}
	if upstreams.DefaultTimeout != 2*time.Second {
		t.Errorf("DefaultTimeout = %s, want 2s", upstreams.DefaultTimeout)
	}
	if err := upstreams.DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
}

// TestNewDoesNoIO checks that New succeeds against addresses nothing listens on: connections are
// made on first use.
func TestNewDoesNoIO(t *testing.T) {
	c, err := upstreams.New(upstreams.DefaultConfig())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
