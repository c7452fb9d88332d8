package rest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/discovery"
	"github.com/trellisgw/trellis/upstreams/health"
	"github.com/trellisgw/trellis/upstreams/observe"
	"github.com/trellisgw/trellis/upstreams/resilience"
)

// ClientConfig describes one REST upstream's instances and traffic policy.
type ClientConfig struct {
	// URLs are the instances' base URLs (http or https, no query); all share one scheme and path
	// prefix. A host name in an http URL is resolved into one instance per address, again every
	// DNSRefresh; an https URL stays one instance (its certificate names the host).
	URLs []string
	// Timeout bounds each call, retries included, on top of the caller's deadline; 0 = none.
	Timeout time.Duration
	// DNSRefresh is how often host names are resolved again; 0 = only once.
	DNSRefresh time.Duration
	// Balancer, Resilience and Health tune the pool, the guard and the active checks.
	Balancer   balancer.Config
	Resilience resilience.Config
	Health     health.Config
	// Instruments records spans and metrics; nil creates a set of its own.
	Instruments *observe.Instruments
	// Lookup resolves host names; nil means the system resolver.
	Lookup discovery.LookupFunc
}

// Client calls one REST upstream through a Transport. Close it to stop its background work.
type Client struct {
	t      *Transport
	name   string
	scheme string // "http" or "https"
	prefix string // path prefix of the base URLs, without a trailing slash

	pool    *balancer.Pool
	guard   *resilience.Guard
	obs     *observe.Instruments
	targets atomic.Pointer[map[string]string] // instance address -> Host header ("" = the address)
	watcher *discovery.Watcher
	checker *health.Checker
	ownObs  bool // obs was made by NewPooledClient and is closed by Close
}

// NewClient returns a client of the upstream called name at one baseURL (http or https, no query)
// with the default traffic policy. timeout bounds each call on top of the caller's own deadline; 0
// means only the caller's deadline applies.
func (t *Transport) NewClient(name, baseURL string, timeout time.Duration) (*Client, error) {
	return t.NewPooledClient(name, ClientConfig{URLs: []string{baseURL}, Timeout: timeout})
}

// NewPooledClient returns a client of the upstream called name over cfg's instances. It starts the
// DNS re-resolution (when a URL names a host) and the active health checks; Close stops them.
func (t *Transport) NewPooledClient(name string, cfg ClientConfig) (_ *Client, err error) {
	if len(cfg.URLs) == 0 {
		return nil, fmt.Errorf("upstream %s: no url", name)
	}
	c := &Client{t: t, name: name, obs: cfg.Instruments}
	var targets []discovery.Target
	hostOf := map[string]string{} // host:port -> the URL's host as written
	for i, raw := range cfg.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: url: %w", name, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("upstream %s: url %q: want http(s)://host[:port][/path] without query", name, raw)
		}
		prefix := strings.TrimSuffix(u.EscapedPath(), "/")
		if i == 0 {
			c.scheme, c.prefix = u.Scheme, prefix
		} else if u.Scheme != c.scheme || prefix != c.prefix {
			return nil, fmt.Errorf("upstream %s: url %q: all urls must share the scheme and path of %q", name, raw, cfg.URLs[0])
		}
		hp := u.Host
		if u.Port() == "" {
			port := "80"
			if u.Scheme == "https" {
				port = "443"
			}
			hp = net.JoinHostPort(u.Hostname(), port)
		}
		hostOf[hp] = u.Host
		targets = append(targets, discovery.Target{HostPort: hp, Resolve: u.Scheme == "http"})
	}
	if c.obs == nil {
		obs, err := observe.New()
		if err != nil {
			return nil, err
		}
		c.obs, c.ownObs = obs, true
		defer func() {
			if err != nil {
				_ = obs.Close()
			}
		}()
	}
	pool, err := balancer.NewPool(cfg.Balancer, balancer.WithEjectHook(func(addr string) { c.obs.Ejected(name, addr) }))
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", name, err)
	}
	guard, err := resilience.NewGuard(name, cfg.Resilience, resilience.WithCallTimeout(cfg.Timeout), resilience.WithHooks(resilience.Hooks{
		Retried:  func(ctx context.Context, route string) { c.obs.Retried(ctx, name, route) },
		Rejected: func(ctx context.Context, route, reason string) { c.obs.Rejected(ctx, name, route, reason) },
	}))
	if err != nil {
		return nil, err
	}
	c.pool, c.guard = pool, guard
	empty := map[string]string{}
	c.targets.Store(&empty)
	c.obs.Watch(name, pool, guard.BreakerState)
	c.watcher = discovery.Watch(targets, cfg.DNSRefresh, cfg.Lookup, func(addrs []discovery.Address) {
		c.setInstances(addrs, hostOf)
	})
	hc := cfg.Health.WithDefaults()
	c.checker = health.Start(pool, hc, func(ctx context.Context, addr string) error { return c.probe(ctx, addr, hc.Path) })
	return c, nil
}

// setInstances publishes addrs as the pool's instances; an address resolved from a host name is
// sent with that name as its Host header.
func (c *Client) setInstances(addrs []discovery.Address, hostOf map[string]string) {
	next := make(map[string]string, len(addrs))
	list := make([]string, len(addrs))
	for i, a := range addrs {
		list[i] = a.Addr
		if a.Addr != a.Target {
			next[a.Addr] = hostOf[a.Target]
		} else {
			next[a.Addr] = ""
		}
	}
	// Publish the union first so that a pick from the old list still finds its Host, then the
	// pool, then the new map.
	union := make(map[string]string, len(next))
	for a, h := range *c.targets.Load() {
		union[a] = h
	}
	for a, h := range next {
		union[a] = h
	}
	c.targets.Store(&union)
	c.pool.Update(list)
	c.targets.Store(&next)
}

// probe is one active health check of the instance at addr: GET path must answer 2xx.
func (c *Client) probe(ctx context.Context, addr, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.scheme+"://"+addr+c.prefix+path, nil)
	if err != nil {
		return err
	}
	if h := (*c.targets.Load())[addr]; h != "" {
		req.Host = h
	}
	resp, err := c.t.rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("health check %s: status %d", addr, resp.StatusCode)
	}
	return nil
}

// Name returns the upstream's name.
func (c *Client) Name() string { return c.name }

// Pool returns the client's instance pool (for readiness and tests).
func (c *Client) Pool() *balancer.Pool { return c.pool }

// Close stops the client's DNS re-resolution and health checks. Calls in flight are not interrupted.
func (c *Client) Close() {
	c.watcher.Close()
	c.checker.Close()
	if c.ownObs {
		_ = c.obs.Close()
	}
}
