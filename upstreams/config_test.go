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
		{"zero timeouts take defaults", func(c *upstreams.Config) { c.Accounts.Timeout, c.Orders.Timeout = 0, 0 }, nil},
		{"https and path prefix", func(c *upstreams.Config) { c.Products.URL = "https://products.internal/api" }, nil},
		{"dns target", func(c *upstreams.Config) { c.Orders.Target = "dns:///orders.internal:443" }, nil},
		{"accounts.url missing", func(c *upstreams.Config) { c.Accounts.URL = "" }, []string{"accounts.url"}},
		{"accounts.url without scheme", func(c *upstreams.Config) { c.Accounts.URL = "127.0.0.1:4101" }, []string{"accounts.url"}},
		{"products.url ftp", func(c *upstreams.Config) { c.Products.URL = "ftp://127.0.0.1:4201" }, []string{"products.url"}},
		{"reviews.url without host", func(c *upstreams.Config) { c.Reviews.URL = "http://" }, []string{"reviews.url"}},
		{"reviews.url with query", func(c *upstreams.Config) { c.Reviews.URL = "http://127.0.0.1:4301?x=1" }, []string{"reviews.url"}},
		{"accounts.url with fragment", func(c *upstreams.Config) { c.Accounts.URL = "http://127.0.0.1:4101#f" }, []string{"accounts.url"}},
		{"products.timeout negative", func(c *upstreams.Config) { c.Products.Timeout = -time.Second }, []string{"products.timeout"}},
		{"inventory.target missing", func(c *upstreams.Config) { c.Inventory.Target = "" }, []string{"inventory.target"}},
		{"inventory.target with spaces", func(c *upstreams.Config) { c.Inventory.Target = "not a target ::" }, []string{"inventory.target"}},
		{"orders.target a URL", func(c *upstreams.Config) { c.Orders.Target = "http://orders:80" }, []string{"orders.target"}},
		{"orders.timeout negative", func(c *upstreams.Config) { c.Orders.Timeout = -1 }, []string{"orders.timeout"}},
		{"transport.dial_timeout negative", func(c *upstreams.Config) { c.Transport.DialTimeout = -time.Second }, []string{"transport.dial_timeout"}},
		{"transport.max_response_bytes negative", func(c *upstreams.Config) { c.Transport.MaxResponseBytes = -1 },
			[]string{"transport.max_response_bytes"}},
		{"several urls", func(c *upstreams.Config) {
			c.Accounts.URL, c.Accounts.URLs = "", []string{"http://a:1", "http://accounts.internal:4101"}
		}, nil},
		{"several targets", func(c *upstreams.Config) {
			c.Orders.Target, c.Orders.Targets = "", []string{"a:1", "dns:///orders.internal:443"}
		}, nil},
		{"url and urls", func(c *upstreams.Config) { c.Accounts.URLs = []string{"http://a:1"} }, []string{"accounts.urls"}},
		{"urls of another scheme", func(c *upstreams.Config) {
			c.Reviews.URL, c.Reviews.URLs = "", []string{"http://a:1", "https://b:1"}
		}, []string{"reviews.urls[1]"}},
		{"bad url in urls", func(c *upstreams.Config) {
			c.Reviews.URL, c.Reviews.URLs = "", []string{"http://a:1", "ftp://b"}
		}, []string{"reviews.urls[1]", "reviews.urls[1]"}},
		{"target and targets", func(c *upstreams.Config) { c.Inventory.Targets = []string{"a:1"} }, []string{"inventory.targets"}},
		{"unix target among others", func(c *upstreams.Config) {
			c.Inventory.Target, c.Inventory.Targets = "", []string{"a:1", "unix:///s"}
		}, []string{"inventory.targets[1]"}},
		{"traffic keys", func(c *upstreams.Config) {
			bad := 2.0
			c.Accounts.Traffic.Balancer.Policy = "random"
			c.Accounts.Traffic.DNSRefresh = -1
			c.Products.Traffic.Balancer.Outlier.MaxEjectionPercent = 101
			c.Reviews.Traffic.Resilience.Retry.BudgetRatio = &bad
			c.Reviews.HealthCheck.Path = "healthz"
			c.Inventory.Traffic.Resilience.Breaker.FailureRatio = 3
			c.Orders.Traffic.Resilience.MaxInFlight = -1
		}, []string{
			"accounts.policy", "accounts.dns_refresh", "products.outlier.max_ejection_percent", "reviews.retry.budget_ratio",
			"reviews.health_check.path", "inventory.breaker.failure_ratio", "orders.max_in_flight",
		}},
		{"everything at once", func(c *upstreams.Config) {
			*c = upstreams.Config{
				Transport: rest.Config{MaxIdleConnsPerHost: -1, DialTimeout: -1},
				Accounts:  upstreams.RESTConfig{Timeout: -1},
				Products:  upstreams.RESTConfig{URL: "gopher://x"},
				Reviews:   upstreams.RESTConfig{URL: "http://x?q"},
				Orders:    upstreams.GRPCConfig{Timeout: -1},
			}
		}, []string{
			"transport.max_idle_conns_per_host", "transport.dial_timeout", "accounts.url", "accounts.timeout",
			"products.url", "reviews.url", "inventory.target", "orders.target", "orders.timeout",
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
	got := upstreams.Config{
		Accounts: upstreams.RESTConfig{URL: "http://a", Timeout: time.Second},
		Orders:   upstreams.GRPCConfig{Target: "o:1"},
	}.WithDefaults()
	traffic := upstreams.Traffic{
		DNSRefresh: upstreams.DefaultDNSRefresh,
		Balancer:   balancer.Config{}.WithDefaults(),
		Resilience: resilience.Config{}.WithDefaults(),
	}
	hc := health.Config{}.WithDefaults()
	want := upstreams.Config{
		Transport: rest.Config{}.WithDefaults(),
		Accounts:  upstreams.RESTConfig{URL: "http://a", Timeout: time.Second, Traffic: traffic, HealthCheck: hc},
		Products:  upstreams.RESTConfig{Timeout: upstreams.DefaultTimeout, Traffic: traffic, HealthCheck: hc},
		Reviews:   upstreams.RESTConfig{Timeout: upstreams.DefaultTimeout, Traffic: traffic, HealthCheck: hc},
		Inventory: upstreams.GRPCConfig{Timeout: upstreams.DefaultTimeout, Traffic: traffic},
		Orders:    upstreams.GRPCConfig{Target: "o:1", Timeout: upstreams.DefaultTimeout, Traffic: traffic},
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
