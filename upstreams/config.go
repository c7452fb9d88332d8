package upstreams

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/trellisgw/trellis/internal/configerr"
	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/health"
	"github.com/trellisgw/trellis/upstreams/resilience"
	"github.com/trellisgw/trellis/upstreams/rest"
)

// Config is the `upstreams` section of the gateway's config file.
type Config struct {
	// Transport tunes the HTTP transport shared by the REST upstreams.
	Transport rest.Config `yaml:"transport"`
	// Accounts, Products and Reviews are the REST upstreams.
	Accounts RESTConfig `yaml:"accounts"`
	Products RESTConfig `yaml:"products"`
	Reviews  RESTConfig `yaml:"reviews"`
	// Inventory and Orders are the gRPC upstreams.
	Inventory GRPCConfig `yaml:"inventory"`
	Orders    GRPCConfig `yaml:"orders"`
}

// RESTConfig locates one REST upstream and sets its traffic policy.
type RESTConfig struct {
	// URL is the base URL of a single instance, e.g. "http://127.0.0.1:4101". Set url or urls.
	URL string `yaml:"url,omitempty"`
	// URLs are the base URLs of several instances (same scheme and path). A host name in an http
	// URL stands for every address it resolves to.
	URLs []string `yaml:"urls,omitempty"`
	// Timeout bounds each call, retries included. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
	// Traffic is the balancing, retry, breaker and limit policy.
	Traffic Traffic `yaml:",inline"`
	// HealthCheck tunes the active health checks.
	HealthCheck health.Config `yaml:"health_check"`
}

// GRPCConfig locates one gRPC upstream and sets its traffic policy.
type GRPCConfig struct {
	// Target is a single target: "host:port" or "dns:///name:port". Set target or targets.
	Target string `yaml:"target,omitempty"`
	// Targets are several "host:port" or "dns:///name:port" targets; a host name stands for every
	// address it resolves to.
	Targets []string `yaml:"targets,omitempty"`
	// Timeout bounds each call, retries included. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
	// Traffic is the balancing, retry, breaker and limit policy.
	Traffic Traffic `yaml:",inline"`
	// HealthCheck tunes grpc-go's health checking of each instance.
	HealthCheck GRPCHealthConfig `yaml:"health_check"`
}

// GRPCHealthConfig tunes grpc-go's health checking (the standard grpc.health.v1 Watch stream).
type GRPCHealthConfig struct {
	// Service is the service name asked about; "" asks about the server as a whole. Default "".
	Service string `yaml:"service"`
}

// Traffic is how calls to one upstream are spread, retried and bounded.
type Traffic struct {
	// DNSRefresh is how often host names among the instances are resolved again; 0 resolves once.
	// Default 30s.
	DNSRefresh time.Duration `yaml:"dns_refresh"`
	// Balancer: policy, ewma_decay, panic_threshold, outlier.
	Balancer balancer.Config `yaml:",inline"`
	// Resilience: attempt_timeout, max_in_flight, retry, breaker.
	Resilience resilience.Config `yaml:",inline"`
}

// DefaultDNSRefresh is Traffic.DNSRefresh's default.
const DefaultDNSRefresh = 30 * time.Second

func (t Traffic) withDefaults() Traffic {
	if t.DNSRefresh == 0 {
		t.DNSRefresh = DefaultDNSRefresh
	}
	t.Balancer = t.Balancer.WithDefaults()
	t.Resilience = t.Resilience.WithDefaults()
	return t
}

func (t Traffic) validate() error {
	var errs []error
	if t.DNSRefresh < 0 {
		errs = append(errs, fmt.Errorf("dns_refresh: must be >= 0 (0 = resolve once), got %s", t.DNSRefresh))
	}
	return errors.Join(append(errs, t.Balancer.Validate(), t.Resilience.Validate())...)
}

// instances returns the configured url or urls.
func (r RESTConfig) instances() []string {
	if r.URL != "" {
		return []string{r.URL}
	}
	return r.URLs
}

// instances returns the configured target or targets.
func (g GRPCConfig) instances() []string {
	if g.Target != "" {
		return []string{g.Target}
	}
	return g.Targets
}

// DefaultTimeout bounds an upstream call when the config sets no timeout.
const DefaultTimeout = 2 * time.Second

// DefaultConfig points at the sample services as `make run` starts them.
func DefaultConfig() Config {
	return Config{
		Accounts:  RESTConfig{URL: "http://127.0.0.1:4101"},
		Products:  RESTConfig{URL: "http://127.0.0.1:4201"},
		Reviews:   RESTConfig{URL: "http://127.0.0.1:4301"},
		Inventory: GRPCConfig{Target: "127.0.0.1:4401"},
		Orders:    GRPCConfig{Target: "127.0.0.1:4501"},
	}.WithDefaults()
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.Transport = c.Transport.WithDefaults()
	for _, r := range []*RESTConfig{&c.Accounts, &c.Products, &c.Reviews} {
		if r.Timeout == 0 {
			r.Timeout = DefaultTimeout
		}
		r.Traffic = r.Traffic.withDefaults()
		r.HealthCheck = r.HealthCheck.WithDefaults()
	}
	for _, g := range []*GRPCConfig{&c.Inventory, &c.Orders} {
		if g.Timeout == 0 {
			g.Timeout = DefaultTimeout
		}
		g.Traffic = g.Traffic.withDefaults()
	}
	return c
}

// Validate reports every invalid field, each named by its key below `upstreams`.
func (c Config) Validate() error {
	var errs []error
	if err := c.Transport.Validate(); err != nil {
		errs = append(errs, configerr.Prefix("transport", err))
	}
	errs = append(errs,
		configerr.Prefix("accounts", c.Accounts.validate()),
		configerr.Prefix("products", c.Products.validate()),
		configerr.Prefix("reviews", c.Reviews.validate()),
		configerr.Prefix("inventory", c.Inventory.validate()),
		configerr.Prefix("orders", c.Orders.validate()),
	)
	return errors.Join(errs...)
}

func (r RESTConfig) validate() error {
	var errs []error
	switch {
	case r.URL == "" && len(r.URLs) == 0:
		errs = append(errs, errors.New("url: required (or urls), e.g. http://host:port"))
	case r.URL != "" && len(r.URLs) > 0:
		errs = append(errs, errors.New("urls: set either url or urls, not both"))
	case r.URL != "":
		errs = append(errs, checkURL("url", r.URL))
	default:
		for i, raw := range r.URLs {
			errs = append(errs, checkURL(fmt.Sprintf("urls[%d]", i), raw))
			if u0, u := parseOrNil(r.URLs[0]), parseOrNil(raw); u0 != nil && u != nil &&
				(u0.Scheme != u.Scheme || strings.TrimSuffix(u0.Path, "/") != strings.TrimSuffix(u.Path, "/")) {
				errs = append(errs, fmt.Errorf("urls[%d]: %q must have the scheme and path of urls[0] %q", i, raw, r.URLs[0]))
			}
		}
	}
	if r.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: must be >= 0 (0 means %s), got %s", DefaultTimeout, r.Timeout))
	}
	errs = append(errs, r.Traffic.validate(), configerr.Prefix("health_check", r.HealthCheck.Validate()))
	return errors.Join(errs...)
}

// checkURL reports whether raw is an http(s)://host[:port][/path] URL without query, naming key.
func checkURL(key, raw string) error {
	if u := parseOrNil(raw); u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s: %q is not an http(s)://host[:port][/path] URL without query", key, raw)
	}
	return nil
}

func parseOrNil(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	return u
}

func (g GRPCConfig) validate() error {
	var errs []error
	switch {
	case g.Target == "" && len(g.Targets) == 0:
		errs = append(errs, errors.New("target: required (or targets), e.g. host:port or dns:///name:port"))
	case g.Target != "" && len(g.Targets) > 0:
		errs = append(errs, errors.New("targets: set either target or targets, not both"))
	case g.Target != "":
		errs = append(errs, checkTarget("target", g.Target))
	default:
		for i, t := range g.Targets {
			errs = append(errs, checkTarget(fmt.Sprintf("targets[%d]", i), t))
			if i > 0 && strings.Contains(t, "://") && !strings.HasPrefix(t, "dns:///") {
				errs = append(errs, fmt.Errorf("targets[%d]: %q: only host:port and dns:///name:port may be listed together", i, t))
			}
		}
	}
	if g.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: must be >= 0 (0 means %s), got %s", DefaultTimeout, g.Timeout))
	}
	errs = append(errs, g.Traffic.validate())
	return errors.Join(errs...)
}

// checkTarget reports whether t looks like a gRPC target, naming key.
func checkTarget(key, t string) error {
	switch {
	case t == "":
		return fmt.Errorf("%s: empty; want host:port or dns:///name:port", key)
	case strings.ContainsAny(t, " \t\r\n"):
		return fmt.Errorf("%s: %q has white space; want host:port or dns:///name:port", key, t)
	case strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://"):
		return fmt.Errorf("%s: %q is a URL; a gRPC target is host:port or dns:///name:port", key, t)
	}
	return nil
}
