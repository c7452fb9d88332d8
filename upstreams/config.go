package upstreams

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/trellisgw/trellis/internal/configerr"
	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/health"
	"github.com/trellisgw/trellis/upstreams/resilience"
	"github.com/trellisgw/trellis/upstreams/rest"
)

// Config is the `upstreams` section of the gateway's config file: the upstream services as data, by
// name. Adding a service is an entry in REST or GRPC: it gets its instance pool, balancing, health
// checks, retries and breaker, and /readyz checks it. The typed clients (clients.go) each need their
// upstream declared under their name.
type Config struct {
	// Transport tunes the HTTP transport shared by the REST upstreams.
	Transport rest.Config `yaml:"transport"`
	// Defaults are the timeout and traffic keys of every upstream, set once; an upstream's own keys
	// override them, key by key.
	Defaults Defaults `yaml:"defaults"`
	// REST are the REST/JSON upstreams by name.
	REST map[string]RESTConfig `yaml:"rest"`
	// GRPC are the gRPC upstreams by name.
	GRPC map[string]GRPCConfig `yaml:"grpc"`
}

// Defaults are the keys every upstream shares unless it sets its own.
type Defaults struct {
	// Timeout bounds each call, retries included. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
	// Traffic is the balancing, retry, breaker and limit policy.
	Traffic Traffic `yaml:",inline"`
}

// RESTConfig locates one REST upstream and sets its traffic policy.
type RESTConfig struct {
	// URL is the base URL of a single instance, e.g. "http://127.0.0.1:4101". Set url or urls.
	URL string `yaml:"url,omitempty"`
	// URLs are the base URLs of several instances (same scheme and path). A host name in an http
	// URL stands for every address it resolves to.
	URLs []string `yaml:"urls,omitempty"`
	// Timeout bounds each call, retries included. Default: defaults.timeout.
	Timeout time.Duration `yaml:"timeout"`
	// Traffic is the balancing, retry, breaker and limit policy; unset keys take defaults'.
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
	// Timeout bounds each call, retries included. Default: defaults.timeout.
	Timeout time.Duration `yaml:"timeout"`
	// Traffic is the balancing, retry, breaker and limit policy; unset keys take defaults'.
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
		REST: map[string]RESTConfig{
			"accounts": {URL: "http://127.0.0.1:4101"},
			"products": {URL: "http://127.0.0.1:4201"},
			"reviews":  {URL: "http://127.0.0.1:4301"},
		},
		GRPC: map[string]GRPCConfig{
			"inventory": {Target: "127.0.0.1:4401"},
			"orders":    {Target: "127.0.0.1:4501"},
		},
	}.WithDefaults()
}

// WithDefaults returns c with zero fields set to their defaults: the defaults block's own, then each
// upstream's unset timeout and traffic keys from the defaults block. The maps are copies.
func (c Config) WithDefaults() Config {
	c.Transport = c.Transport.WithDefaults()
	if c.Defaults.Timeout == 0 {
		c.Defaults.Timeout = DefaultTimeout
	}
	c.Defaults.Traffic = c.Defaults.Traffic.withDefaults()
	restUps := make(map[string]RESTConfig, len(c.REST))
	for name, r := range c.REST {
		r.Timeout, r.Traffic = c.Defaults.inherit(r.Timeout, r.Traffic)
		r.HealthCheck = r.HealthCheck.WithDefaults()
		restUps[name] = r
	}
	grpcUps := make(map[string]GRPCConfig, len(c.GRPC))
	for name, g := range c.GRPC {
		g.Timeout, g.Traffic = c.Defaults.inherit(g.Timeout, g.Traffic)
		grpcUps[name] = g
	}
	c.REST, c.GRPC = restUps, grpcUps
	return c
}

// inherit returns an upstream's timeout and traffic with every unset key taken from d.
func (d Defaults) inherit(timeout time.Duration, t Traffic) (time.Duration, Traffic) {
	if timeout == 0 {
		timeout = d.Timeout
	}
	fillUnset(reflect.ValueOf(&t).Elem(), reflect.ValueOf(d.Traffic))
	return timeout, t.withDefaults()
}

// fillUnset sets every unset field of dst (addressable) to src's, recursively through structs. Unset
// is the zero value for values, nil for pointers and slices: a pointer to zero is an explicit zero
// and is kept (as in panic_threshold: 0 = off), which is why this is not mergo.Merge, which merges
// into the pointee. Pointers are shared with src, never written through.
func fillUnset(dst, src reflect.Value) {
	switch dst.Kind() {
	case reflect.Struct:
		for i := range dst.NumField() {
			if dst.Type().Field(i).IsExported() {
				fillUnset(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Pointer, reflect.Slice, reflect.Map:
		if dst.IsNil() {
			dst.Set(src)
		}
	default:
		if dst.IsZero() {
			dst.Set(src)
		}
	}
}

// EditREST calls edit on the REST upstream name, declared when missing, and stores the result: for
// code that builds configs (tests, tools), since a map's values cannot be set in place.
func (c *Config) EditREST(name string, edit func(*RESTConfig)) {
	if c.REST == nil {
		c.REST = map[string]RESTConfig{}
	}
	r := c.REST[name]
	edit(&r)
	c.REST[name] = r
}

// EditGRPC is EditREST for the gRPC upstream name.
func (c *Config) EditGRPC(name string, edit func(*GRPCConfig)) {
	if c.GRPC == nil {
		c.GRPC = map[string]GRPCConfig{}
	}
	g := c.GRPC[name]
	edit(&g)
	c.GRPC[name] = g
}

// Names returns the declared upstreams' names, sorted.
func (c Config) Names() []string {
	names := slices.Collect(maps.Keys(c.REST))
	names = append(names, slices.Collect(maps.Keys(c.GRPC))...)
	slices.Sort(names)
	return names
}

// validName is what an upstream's name may be: it is a metric label and a key of other sections.
var validName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// Validate reports every invalid field, each named by its key below `upstreams`.
func (c Config) Validate() error {
	var errs []error
	if err := c.Transport.Validate(); err != nil {
		errs = append(errs, configerr.Prefix("transport", err))
	}
	if c.Defaults.Timeout < 0 {
		errs = append(errs, fmt.Errorf("defaults.timeout: must be >= 0 (0 means %s), got %s", DefaultTimeout, c.Defaults.Timeout))
	}
	errs = append(errs, configerr.Prefix("defaults", c.Defaults.Traffic.validate()))
	for _, name := range slices.Sorted(maps.Keys(c.REST)) {
		if !validName.MatchString(name) {
			errs = append(errs, fmt.Errorf("rest.%s: a name is a-z, then up to 62 of a-z 0-9 _ -", name))
		}
		if _, both := c.GRPC[name]; both {
			errs = append(errs, fmt.Errorf("grpc.%s: also declared under rest; one name, one upstream", name))
		}
		errs = append(errs, configerr.Prefix("rest."+name, c.REST[name].validate()))
	}
	for _, name := range slices.Sorted(maps.Keys(c.GRPC)) {
		if !validName.MatchString(name) {
			errs = append(errs, fmt.Errorf("grpc.%s: a name is a-z, then up to 62 of a-z 0-9 _ -", name))
		}
		errs = append(errs, configerr.Prefix("grpc."+name, c.GRPC[name].validate()))
	}
	for _, name := range requiredREST {
		if _, ok := c.REST[name]; !ok {
			errs = append(errs, fmt.Errorf("rest.%s: required by the %s client: give its url, e.g. rest: {%s: {url: http://host:port}}", name, name, name))
		}
	}
	for _, name := range requiredGRPC {
		if _, ok := c.GRPC[name]; !ok {
			errs = append(errs, fmt.Errorf("grpc.%s: required by the %s client: give its target, e.g. grpc: {%s: {target: host:port}}", name, name, name))
		}
	}
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
