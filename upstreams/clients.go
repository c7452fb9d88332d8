package upstreams

import (
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/trellisgw/trellis/internal/configerr"
	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/entitycache"
	"github.com/trellisgw/trellis/upstreams/grpcconn"
	"github.com/trellisgw/trellis/upstreams/observe"
	"github.com/trellisgw/trellis/upstreams/rest"
)

// The upstreams the typed clients below need, by name: Config.Validate requires each to be declared
// (under rest or grpc as its protocol). A new typed client adds its name here; a new upstream without
// one needs only the config.
var (
	requiredREST = []string{"accounts", "products", "reviews"}
	requiredGRPC = []string{"inventory", "orders"}
)

// Clients is the set of typed upstream clients the resolvers use. Build it once per process with New
// and Close it on shutdown.
type Clients struct {
	Accounts  *Accounts
	Products  *Products
	Reviews   *Reviews
	Inventory *Inventory
	Orders    *Orders

	caches    *caches
	transport *rest.Transport
	obs       *observe.Instruments
	rest      []*rest.Client
	conns     map[string]*grpcconn.Conn
}

// Option adjusts what New builds.
type Option func(*options)

type options struct {
	cache  CacheConfig
	hints  map[string]Hint
	caller entitycache.CallerFunc
}

// WithCache puts the entity cache cfg describes in front of the batch look-ups, each kind cached by
// its hint (keys: Kinds) as cfg overrides it; caller keys the entries of private kinds (it returns ""
// for an anonymous caller, whose private look-ups are not cached). Without it nothing is cached.
func WithCache(cfg CacheConfig, hints map[string]Hint, caller entitycache.CallerFunc) Option {
	return func(o *options) { o.cache, o.hints, o.caller = cfg, hints, caller }
}

// New builds every client from cfg (defaults applied). It does no network I/O but DNS look-ups of
// host names, which start in the background; connections are made on first use.
func New(cfg Config, opts ...Option) (*Clients, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	o.cache = o.cache.WithDefaults()
	if err := o.cache.Validate(); err != nil {
		return nil, configerr.Prefix("cache", err)
	}
	cs, err := newCaches(o.cache, o.hints, o.caller, func(upstream string) time.Duration {
		if r, ok := cfg.REST[upstream]; ok {
			return r.Timeout
		}
		if g, ok := cfg.GRPC[upstream]; ok {
			return g.Timeout
		}
		return cfg.Defaults.Timeout
	})
	if err != nil {
		return nil, err
	}
	obs, err := observe.New()
	if err != nil {
		_ = cs.close()
		return nil, err
	}
	c := &Clients{caches: cs, transport: rest.NewTransport(cfg.Transport), obs: obs, conns: map[string]*grpcconn.Conn{}}
	restClients := map[string]*rest.Client{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg.REST)) {
		r := cfg.REST[name]
		rc, err := c.transport.NewPooledClient(name, rest.ClientConfig{
			URLs: r.instances(), Timeout: r.Timeout, DNSRefresh: r.Traffic.DNSRefresh,
			Balancer: r.Traffic.Balancer, Resilience: r.Traffic.Resilience, Health: r.HealthCheck, Instruments: obs,
		})
		errs = append(errs, err)
		if rc != nil {
			c.rest = append(c.rest, rc)
			restClients[name] = rc
		}
	}
	if err := errors.Join(errs...); err != nil {
		_ = c.Close()
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.GRPC)) {
		g := cfg.GRPC[name]
		conn, err := grpcconn.Open(name, grpcconn.Config{
			Targets: g.instances(), Timeout: g.Timeout, DNSRefresh: g.Traffic.DNSRefresh,
			HealthService: g.HealthCheck.Service, Balancer: g.Traffic.Balancer,
			Resilience: g.Traffic.Resilience, Instruments: obs,
		})
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.conns[name] = conn
	}
	c.Accounts = NewAccounts(restClients["accounts"])
	c.Products = NewProducts(restClients["products"])
	c.Reviews = NewReviews(restClients["reviews"])
	c.Inventory = NewInventory(c.conns["inventory"])
	c.Orders = NewOrders(c.conns["orders"])
	c.Accounts.users, c.Accounts.page = cs.users, cs.usersPage
	c.Products.products, c.Products.page, c.Products.top = cs.products, cs.productsPage, cs.topProducts
	c.Inventory.stock = cs.stock
	c.Reviews.byProduct, c.Reviews.byAuthor = cs.reviewsProduct, cs.reviewsAuthor
	c.Orders.byID, c.Orders.byBuyer = cs.ordersByID, cs.ordersByBuyer
	c.Orders.stock = cs.stock
	return c, nil
}

// Pools returns each upstream's instance pool by name, for readiness checks and tests.
func (c *Clients) Pools() map[string]*balancer.Pool {
	out := make(map[string]*balancer.Pool, len(c.rest)+len(c.conns))
	for _, rc := range c.rest {
		out[rc.Name()] = rc.Pool()
	}
	for name, conn := range c.conns {
		out[name] = conn.Pool()
	}
	return out
}

// Close stops the background resolution and health checks and releases the pooled connections.
func (c *Clients) Close() error {
	for _, rc := range c.rest {
		rc.Close()
	}
	c.transport.Close()
	var errs []error
	for _, conn := range c.conns {
		if err := conn.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.obs.Close(), c.caches.close())
	return errors.Join(errs...)
}
