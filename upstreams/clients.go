package upstreams

import (
	"errors"

	"google.golang.org/grpc"

	"github.com/trellisgw/trellis/upstreams/grpcconn"
	"github.com/trellisgw/trellis/upstreams/rest"
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
	rest      []*rest.Client
	conns     map[string]*grpc.ClientConn
}

// New builds every client from cfg (defaults applied). It does no I/O: connections are made on first use.
func New(cfg Config) (*Clients, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Clients{transport: rest.NewTransport(cfg.Transport), conns: map[string]*grpc.ClientConn{}}
	var errs []error
	restClient := func(name string, r RESTConfig) *rest.Client {
		rc, err := c.transport.NewClient(name, r.URL, r.Timeout)
		errs = append(errs, err)
		c.rest = append(c.rest, rc)
		return rc
	}
	c.Accounts = NewAccounts(restClient("accounts", cfg.Accounts))
	c.Products = NewProducts(restClient("products", cfg.Products))
	c.Reviews = NewReviews(restClient("reviews", cfg.Reviews))
	if err := errors.Join(errs...); err != nil {
		c.Close()
		return nil, err
	}

	inv, err := grpcconn.Dial("inventory", cfg.Inventory.Target, cfg.Inventory.Timeout)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.conns["inventory"] = inv
	ord, err := grpcconn.Dial("orders", cfg.Orders.Target, cfg.Orders.Timeout)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.conns["orders"] = ord
	c.Inventory = NewInventory(inv)
	c.Orders = NewOrders(ord)
	return c, nil
}

// Close releases the pooled connections.
func (c *Clients) Close() error {
	c.transport.Close()
	var errs []error
	for _, conn := range c.conns {
		if err := conn.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
