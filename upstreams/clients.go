package upstreams

import (
	"errors"
	"maps"
	"slices"

	"github.com/trellisgw/trellis/upstreams/balancer"
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

	transport *rest.Transport
	obs       *observe.Instruments
	rest      []*rest.Client
	conns     map[string]*grpcconn.Conn
}

// New builds every client from cfg (defaults applied). It does no network I/O but DNS look-ups of
// host names, which start in the background; connections are made on first use.
func New(cfg Config) (*Clients, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	obs, err := observe.New()
	if err != nil {
		return nil, err
	}
	c := &Clients{transport: rest.NewTransport(cfg.Transport), obs: obs, conns: map[string]*grpcconn.Conn{}}
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
	errs = append(errs, c.obs.Close())
	return errors.Join(errs...)
}
