package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/trellisgw/trellis/demo/accounts"
	"github.com/trellisgw/trellis/demo/admin"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/demo/inventory"
	"github.com/trellisgw/trellis/demo/orders"
	"github.com/trellisgw/trellis/demo/products"
	"github.com/trellisgw/trellis/demo/restkit"
	"github.com/trellisgw/trellis/demo/reviews"
	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
	ordersv1 "github.com/trellisgw/trellis/proto/orders/v1"
)

// Errors of SetFault, for errors.Is.
var (
	// ErrUnknownService is returned for a service name that is not one of Services().
	ErrUnknownService = errors.New("unknown service")
	// ErrUnknownInstance is returned for an instance index out of range.
	ErrUnknownInstance = errors.New("unknown instance")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("cluster closed")
)

// Cluster is the running sample services of one process. It is safe for concurrent use.
type Cluster struct {
	log       *slog.Logger
	instances map[string][]*instance

	admin     *http.Server
	adminURL  string
	adminDone chan struct{}

	closeOnce sync.Once
}

// Interface guard: the admin endpoint administers a Cluster.
var _ admin.TraceBackend = (*Cluster)(nil)

// Start validates cfg, generates the data set and starts every instance and the admin endpoint.
// Everything is listening when it returns. ctx bounds the start only; the cluster runs until Close.
// On error, whatever was started is stopped again.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	c := &Cluster{log: cfg.Logger, instances: make(map[string][]*instance)}
	ix := data.NewIndex(data.Generate(cfg.Data))
	builders := c.builders(ix, cfg.CacheControl)
	for _, svc := range Services() {
		for i := range cfg.Replicas {
			port := 0
			if base := cfg.BasePorts[svc]; base > 0 {
				port = base + i
			}
			in := &instance{
				service: svc,
				index:   i,
				state:   faults.NewState(),
				log:     cfg.Logger,
				addr:    net.JoinHostPort(cfg.Host, strconv.Itoa(port)),
			}
			in.build = builders[svc](in.state)
			in.mu.Lock()
			err := in.startLocked(ctx)
			in.mu.Unlock()
			if err != nil {
				_ = c.Close()
				return nil, err
			}
			c.instances[svc] = append(c.instances[svc], in)
		}
	}
	if err := c.startAdmin(ctx, cfg.AdminAddr); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// builders returns, per service, a function that makes the server factory of one instance.
// Instances of a service share its data: an order or review added on one is visible on all.
func (c *Cluster) builders(ix *data.Index, cacheControl map[string]string) map[string]func(*faults.State) func() server {
	rest := func(name string, h http.Handler) func(*faults.State) func() server {
		h = withCacheControl(cacheControl[name], h)
		return func(st *faults.State) func() server {
			wrapped := st.Middleware(h)
			return func() server { return newHTTPServer(wrapped, c.log) }
		}
	}
	grpcOf := func(names []string, register func(grpc.ServiceRegistrar)) func(*faults.State) func() server {
		return func(st *faults.State) func() server {
			return func() server { return newGRPCServer(st, names, register) }
		}
	}
	inv, ord := inventory.NewServer(ix), orders.NewServer(ix)
	// Accounts and products never change: their data is as old as the cluster. Reviews change with
	// each one added. The ETag (a hash of the body) tells any change apart whatever its time.
	started := time.Now()
	static := func(*http.Request) time.Time { return started }
	store := reviews.NewStore(ix)
	return map[string]func(*faults.State) func() server{
		Accounts: rest(Accounts, restkit.Validated(accounts.NewHandler(ix), static)),
		Products: rest(Products, restkit.Validated(products.NewHandler(ix), static)),
		Reviews:  rest(Reviews, restkit.Validated(reviews.NewHandler(store), func(*http.Request) time.Time { return store.LastModified() })),
		Inventory: grpcOf([]string{Inventory, inventoryv1.InventoryService_ServiceDesc.ServiceName},
			func(r grpc.ServiceRegistrar) { inventoryv1.RegisterInventoryServiceServer(r, inv) }),
		Orders: grpcOf([]string{Orders, ordersv1.OrderService_ServiceDesc.ServiceName},
			func(r grpc.ServiceRegistrar) { ordersv1.RegisterOrderServiceServer(r, ord) }),
	}
}

// withCacheControl makes h answer its look-ups with Cache-Control value ("" = h itself).
func withCacheControl(value string, h http.Handler) http.Handler {
	if value == "" {
		return h
	}
	return &cacheControlled{value: value, next: h}
}

// cacheControlled is withCacheControl's handler; it names routes as the handler it wraps does, so
// that calls are still counted by route (faults.Router).
type cacheControlled struct {
	value string
	next  http.Handler
}

func (c *cacheControlled) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path != "/healthz" && r.URL.Path != "/openapi.json" {
		w.Header().Set("Cache-Control", c.value)
	}
	c.next.ServeHTTP(w, r)
}

// Handler implements faults.Router when the wrapped handler does.
func (c *cacheControlled) Handler(r *http.Request) (http.Handler, string) {
	if rt, ok := c.next.(faults.Router); ok {
		return rt.Handler(r)
	}
	return c.next, ""
}

// startAdmin serves the admin endpoint on addr.
func (c *Cluster) startAdmin(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("demo: start admin endpoint: %w", err)
	}
	c.adminURL = "http://" + ln.Addr().String()
	c.admin = newHTTPServer(admin.NewHandler(c, c.log), c.log).(httpServer).Server
	c.adminDone = make(chan struct{})
	go func() {
		defer close(c.adminDone)
		if err := c.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("admin endpoint stopped serving", "error", err)
		}
	}()
	c.log.Info("admin endpoint up", "url", c.adminURL)
	return nil
}

// Services returns the names of the services the cluster runs (all of Services()).
func (c *Cluster) Services() []string { return Services() }

// Addrs returns the "host:port" of each instance of service in index order, nil for an unknown
// service. An instance that is down keeps its address.
func (c *Cluster) Addrs(service string) []string {
	list := c.instances[service]
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, in := range list {
		out[i] = in.address()
	}
	return out
}

// AdminURL returns the base URL of the admin endpoint, e.g. "http://127.0.0.1:4100".
func (c *Cluster) AdminURL() string { return c.adminURL }

// Calls returns, per service, the calls per route summed over its instances. Every service has an
// entry, empty when it served nothing.
func (c *Cluster) Calls() map[string]map[string]int {
	out := make(map[string]map[string]int, len(c.instances))
	for _, svc := range Services() {
		sum := map[string]int{}
		for _, in := range c.instances[svc] {
			for route, n := range in.state.Calls() {
				sum[route] += n
			}
		}
		out[svc] = sum
	}
	return out
}

// NotModified returns, per service, the calls per route answered 304 Not Modified, summed over its
// instances (each is in Calls too). Every service has an entry, empty when it sent none.
func (c *Cluster) NotModified() map[string]map[string]int {
	out := make(map[string]map[string]int, len(c.instances))
	for _, svc := range Services() {
		sum := map[string]int{}
		for _, in := range c.instances[svc] {
			for route, n := range in.state.NotModified() {
				sum[route] += n
			}
		}
		out[svc] = sum
	}
	return out
}

// InstanceCalls returns the calls per route of each instance of service in index order, nil for an
// unknown service.
func (c *Cluster) InstanceCalls(service string) []map[string]int {
	list := c.instances[service]
	if list == nil {
		return nil
	}
	out := make([]map[string]int, len(list))
	for i, in := range list {
		out[i] = in.state.Calls()
	}
	return out
}

// TraceIDs returns the W3C trace ids of the calls the service's instances served since the last
// ResetCalls (see faults.State.TraceIDs), instance by instance; nil for an unknown service.
func (c *Cluster) TraceIDs(service string) []string {
	var out []string
	for _, in := range c.instances[service] {
		out = append(out, in.state.TraceIDs()...)
	}
	return out
}

// InstanceTraceIDs returns the trace ids each of the service's instances saw, in index order.
func (c *Cluster) InstanceTraceIDs(service string) [][]string {
	out := make([][]string, 0, len(c.instances[service]))
	for _, in := range c.instances[service] {
		out = append(out, in.state.TraceIDs())
	}
	return out
}

// ResetCalls sets every call count of every instance to zero.
func (c *Cluster) ResetCalls() {
	for _, list := range c.instances {
		for _, in := range list {
			in.state.ResetCalls()
		}
	}
}

// Faults returns the fault of each instance of service in index order, nil for an unknown service.
func (c *Cluster) Faults(service string) []faults.Fault {
	list := c.instances[service]
	if list == nil {
		return nil
	}
	out := make([]faults.Fault, len(list))
	for i, in := range list {
		out[i] = in.state.Fault()
	}
	return out
}

// SetFault sets the fault of one instance of service, or of all its instances when instance is -1.
// Down closes the instance's listener and connections; a later fault without Down serves again on
// the same address. It returns when the instances are down or listening again. Errors wrap
// ErrUnknownService, ErrUnknownInstance, faults.ErrInvalid or ErrClosed, or tell why an instance
// could not listen again (it then stays down).
func (c *Cluster) SetFault(service string, instance int, f faults.Fault) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("demo: set fault: %w", err)
	}
	list, ok := c.instances[service]
	if !ok {
		return fmt.Errorf("demo: set fault: %w %q", ErrUnknownService, service)
	}
	if instance < -1 || instance >= len(list) {
		return fmt.Errorf("demo: set fault: %w %d of %s (has %d)", ErrUnknownInstance, instance, service, len(list))
	}
	var errs []error
	for i, in := range list {
		if instance == -1 || i == instance {
			errs = append(errs, in.setFault(context.Background(), f))
		}
	}
	return errors.Join(errs...)
}

// Close stops every instance and the admin endpoint and waits for their goroutines. Calling it again
// does nothing.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		if c.admin != nil {
			_ = c.admin.Close()
			<-c.adminDone
		}
		var wg sync.WaitGroup
		for _, list := range c.instances {
			for _, in := range list {
				wg.Go(in.close)
			}
		}
		wg.Wait()
		c.log.Info("cluster closed")
	})
	return nil
}
