// Package grpcconn opens the one grpc.ClientConn kept per gRPC upstream. grpc-go manages the
// connections: a manual resolver (fed by package discovery, which re-resolves host names) gives it
// the instances, the "trellis_pool" load-balancing policy (grpc-go's base balancer with a picker over
// a balancer.Pool) picks among the ready ones, and grpc-go's health checking (healthCheckConfig)
// watches each instance's standard health service. A client interceptor runs every call through the
// upstream's resilience.Guard (retries of Get*/List* methods on another instance, breaker,
// concurrency limit, timeouts), injects the trace context into the metadata, records each attempt
// with package observe and classifies failures into upstreamerr codes.
package grpcconn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // registers the client side of healthCheckConfig
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"

	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/discovery"
	"github.com/trellisgw/trellis/upstreams/observe"
	"github.com/trellisgw/trellis/upstreams/outbound"
	"github.com/trellisgw/trellis/upstreams/resilience"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// Config describes one gRPC upstream's instances and traffic policy.
type Config struct {
	// Targets are "host:port" or "dns:///host:port" addresses; host names are resolved into one
	// instance per address, again every DNSRefresh. One target with another grpc-go scheme
	// ("unix:///path") is handed to grpc-go's own resolver as it is.
	Targets []string
	// Timeout bounds each call, retries included, on top of the caller's deadline; 0 = none.
	Timeout time.Duration
	// DNSRefresh is how often host names are resolved again; 0 = only once.
	DNSRefresh time.Duration
	// HealthService is the service name grpc-go's health checking asks the instances about; ""
	// asks about the server as a whole.
	HealthService string
	// Balancer and Resilience tune the pool and the guard.
	Balancer   balancer.Config
	Resilience resilience.Config
	// Instruments records spans and metrics; nil creates a set of its own.
	Instruments *observe.Instruments
	// Lookup resolves host names; nil means the system resolver.
	Lookup discovery.LookupFunc
}

// Conn is the ClientConn of one gRPC upstream with its pool and background resolution. Close it on
// shutdown.
type Conn struct {
	*grpc.ClientConn
	pool    *balancer.Pool
	watcher *discovery.Watcher
	obs     *observe.Instruments // closed by Close when Open made it
}

// Pool returns the connection's instance pool.
func (c *Conn) Pool() *balancer.Pool { return c.pool }

// Close stops the resolution and closes the connection.
func (c *Conn) Close() error {
	if c.watcher != nil {
		c.watcher.Close()
	}
	err := c.ClientConn.Close()
	if c.obs != nil {
		err = errors.Join(err, c.obs.Close())
	}
	return err
}

// Dial returns a connection to one target (a grpc-go target such as "127.0.0.1:4401" or
// "dns:///orders.internal:443") with the default traffic policy. timeout bounds each call on top of
// the caller's deadline (0 = none).
func Dial(name, target string, timeout time.Duration, opts ...grpc.DialOption) (*Conn, error) {
	return Open(name, Config{Targets: []string{target}, Timeout: timeout}, opts...)
}

// resolverScheme is the scheme of the manual resolver each Conn registers for itself.
const resolverScheme = "trellis"

// Open returns a connection to cfg's instances. The connection is made lazily by grpc-go; host
// names are resolved in the background.
func Open(name string, cfg Config, opts ...grpc.DialOption) (_ *Conn, err error) {
	if len(cfg.Targets) == 0 {
		return nil, fmt.Errorf("upstream %s: empty target", name)
	}
	for _, t := range cfg.Targets {
		if t == "" {
			return nil, fmt.Errorf("upstream %s: empty target", name)
		}
	}
	obs, own := cfg.Instruments, (*observe.Instruments)(nil)
	if obs == nil {
		if obs, err = observe.New(); err != nil {
			return nil, err
		}
		own = obs
		defer func() {
			if err != nil {
				_ = own.Close()
			}
		}()
	}
	pool, err := balancer.NewPool(cfg.Balancer, balancer.WithEjectHook(func(addr string) { obs.Ejected(name, addr) }))
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", name, err)
	}
	guard, err := resilience.NewGuard(name, cfg.Resilience, resilience.WithCallTimeout(cfg.Timeout), resilience.WithHooks(resilience.Hooks{
		Retried:  func(ctx context.Context, route string) { obs.Retried(ctx, name, route) },
		Rejected: func(ctx context.Context, route, reason string) { obs.Rejected(ctx, name, route, reason) },
	}))
	if err != nil {
		return nil, err
	}
	obs.Watch(name, pool, guard.BreakerState)
	sc, err := json.Marshal(map[string]any{
		"loadBalancingConfig": []map[string]any{{PolicyName: map[string]any{}}},
		"healthCheckConfig":   map[string]any{"serviceName": cfg.HealthService},
	})
	if err != nil {
		return nil, fmt.Errorf("upstream %s: service config: %w", name, err)
	}
	all := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(string(sc)),
		// Per attempt, inside the guard: the caller's identity as configured per upstream.
		grpc.WithChainUnaryInterceptor(intercept(name, guard, obs), outbound.UnaryClientInterceptor(name)),
	}, opts...)

	targets, foreign := discoveryTargets(cfg.Targets)
	if foreign != "" {
		if len(cfg.Targets) > 1 {
			return nil, fmt.Errorf("upstream %s: target %q: a grpc-go scheme other than dns must be the only target", name, foreign)
		}
		conn, err := grpc.NewClient(foreign, all...)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: dial %q: %w", name, foreign, err)
		}
		return &Conn{ClientConn: conn, pool: pool, obs: own}, nil
	}
	r := manual.NewBuilderWithScheme(resolverScheme)
	c := &Conn{pool: pool, obs: own}
	publish := func(addrs []discovery.Address) {
		list := make([]string, len(addrs))
		ra := make([]resolver.Address, len(addrs))
		for i, a := range addrs {
			list[i] = a.Addr
			ra[i] = resolver.Address{Addr: a.Addr}
		}
		known := map[string]bool{}
		for _, in := range pool.Instances() {
			known[in.Addr()] = true
		}
		pool.Update(list)
		for _, a := range list {
			if !known[a] {
				// Healthy once grpc-go reports the sub-connection READY (and SERVING), not before.
				pool.SetHealthy(a, false)
			}
		}
		r.UpdateState(withPool(resolver.State{Addresses: ra}, pool))
	}
	c.watcher = discovery.Watch(targets, cfg.DNSRefresh, cfg.Lookup, publish)
	conn, err := grpc.NewClient(resolverScheme+":///"+name, append(all, grpc.WithResolvers(r))...)
	if err != nil {
		c.watcher.Close()
		return nil, fmt.Errorf("upstream %s: dial %v: %w", name, cfg.Targets, err)
	}
	c.ClientConn = conn
	return c, nil
}

// discoveryTargets turns targets into discovery targets; a target with a grpc-go scheme other than
// dns (without authority) is returned as foreign.
func discoveryTargets(targets []string) (out []discovery.Target, foreign string) {
	for _, t := range targets {
		hp := t
		if rest, ok := strings.CutPrefix(t, "dns:///"); ok {
			hp = rest
		} else if strings.Contains(t, "://") {
			return nil, t
		}
		out = append(out, discovery.Target{HostPort: hp, Resolve: true})
	}
	return out, ""
}

// isRead reports whether a full method name ("/pkg.Service/GetThing") names a read: Get* or List*.
func isRead(method string) bool {
	m := method[strings.LastIndexByte(method, '/')+1:]
	return strings.HasPrefix(m, "Get") || strings.HasPrefix(m, "List")
}

// intercept runs every unary call through guard: attempts with their own span, trace context and
// call-trace entry, failures turned into *upstreamerr.Error.
func intercept(name string, guard *resilience.Guard, obs *observe.Instruments) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return guard.Do(ctx, method, guard.Idempotent(method, isRead(method)), func(actx context.Context, a resilience.Attempt) (string, error) {
			h := &attempt{avoid: a.Avoid, parent: ctx}
			actx, at := obs.Start(withAttempt(actx, h), name, method, a.N, "")
			carrier := &outgoingCarrier{ctx: actx}
			observe.Inject(actx, carrier)
			if carrier.md != nil {
				actx = metadata.NewOutgoingContext(actx, carrier.md)
			}
			err := invoker(actx, method, req, reply, cc, opts...)
			addr := h.instance()
			at.SetInstance(addr)
			at.SetStatus(int(status.Code(err)), true)
			if err != nil {
				failure := FromStatus(actx, name, method, err)
				at.End(failure)
				return addr, failure
			}
			at.End(nil)
			return addr, nil
		})
	}
}

// outgoingCarrier adapts ctx's outgoing gRPC metadata to propagation.TextMapCarrier. The metadata
// is copied on the first Set only: a propagator that writes nothing (no trace context, no baggage)
// costs no copy and no new context.
type outgoingCarrier struct {
	ctx context.Context
	md  metadata.MD // ctx's outgoing metadata and what was set since; nil until the first Set
}

// Get implements propagation.TextMapCarrier.
func (c *outgoingCarrier) Get(key string) string {
	var v []string
	if c.md != nil {
		v = c.md.Get(key)
	} else {
		v = metadata.ValueFromOutgoingContext(c.ctx, key)
	}
	if len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set implements propagation.TextMapCarrier.
func (c *outgoingCarrier) Set(key, value string) {
	if c.md == nil {
		c.md, _ = metadata.FromOutgoingContext(c.ctx) // a copy
		if c.md == nil {
			c.md = metadata.MD{}
		}
	}
	c.md.Set(key, value)
}

// Keys implements propagation.TextMapCarrier.
func (c *outgoingCarrier) Keys() []string {
	md := c.md
	if md == nil {
		md, _ = metadata.FromOutgoingContext(c.ctx)
	}
	out := make([]string, 0, len(md))
	for k := range md {
		out = append(out, k)
	}
	return out
}

// FromStatus maps a gRPC call error to an *upstreamerr.Error.
func FromStatus(ctx context.Context, name, method string, err error) *upstreamerr.Error {
	e := &upstreamerr.Error{Upstream: name, Op: method, Err: err}
	st, ok := status.FromError(err)
	if !ok {
		e.Code = upstreamerr.Classify(ctx, err)
		return e
	}
	switch st.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		e.Code, e.Message = upstreamerr.BadInput, upstreamerr.UserMessage(st.Message())
	case codes.NotFound:
		e.Code = upstreamerr.NotFound
	case codes.DeadlineExceeded:
		e.Code = upstreamerr.Timeout
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted:
		e.Code = upstreamerr.Unavailable
	case codes.Canceled:
		e.Code = upstreamerr.Classify(ctx, ctx.Err())
	default:
		e.Code = upstreamerr.Failed
	}
	return e
}
