package grpcconn

import (
	"context"
	"sync/atomic"

	grpcbalancer "google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/base"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/status"

	"github.com/trellisgw/trellis/upstreams/balancer"
)

// PolicyName is the grpc-go load-balancing policy that picks through a balancer.Pool. grpc-go keeps
// its balancers in a process-wide registry filled at init time; the policy itself holds no state:
// each ClientConn gets its own picker builder, and the Pool arrives with the resolver state.
const PolicyName = "trellis_pool"

func init() { grpcbalancer.Register(lbBuilder{}) }

// poolKey is the resolver.State attribute that carries a connection's Pool.
type poolKey struct{}

// withPool returns s carrying pool for the balancer.
func withPool(s resolver.State, pool *balancer.Pool) resolver.State {
	s.Attributes = s.Attributes.WithValue(poolKey{}, pool)
	return s
}

// lbBuilder builds one base balancer (grpc-go's sub-connection management and health checking)
// per ClientConn, with a picker builder of its own.
type lbBuilder struct{}

// Name implements balancer.Builder.
func (lbBuilder) Name() string { return PolicyName }

// Build implements balancer.Builder.
func (lbBuilder) Build(cc grpcbalancer.ClientConn, opts grpcbalancer.BuildOptions) grpcbalancer.Balancer {
	pb := &pickerBuilder{}
	b := base.NewBalancerBuilder(PolicyName, pb, base.Config{HealthCheck: true}).Build(cc, opts)
	return &lb{Balancer: b, pb: pb}
}

// lb is grpc-go's base balancer that first takes the Pool out of the resolver state.
type lb struct {
	grpcbalancer.Balancer
	pb *pickerBuilder
}

// UpdateClientConnState implements balancer.Balancer.
func (l *lb) UpdateClientConnState(s grpcbalancer.ClientConnState) error {
	if p, ok := s.ResolverState.Attributes.Value(poolKey{}).(*balancer.Pool); ok && p != nil {
		l.pb.pool.Store(p)
	}
	return l.Balancer.UpdateClientConnState(s)
}

// pickerBuilder makes a picker over the ready sub-connections each time they change.
type pickerBuilder struct {
	pool atomic.Pointer[balancer.Pool]
}

// Build implements base.PickerBuilder.
func (pb *pickerBuilder) Build(info base.PickerBuildInfo) grpcbalancer.Picker {
	pool := pb.pool.Load()
	if pool == nil {
		// A target resolved by grpc-go itself (e.g. unix:///…): a pool of our own, fed by what connects.
		p, err := balancer.NewPool(balancer.Config{})
		if err != nil {
			return base.NewErrPicker(err)
		}
		pb.pool.CompareAndSwap(nil, p)
		pool = pb.pool.Load()
	}
	ready := make(map[string]readySubConn, len(info.ReadySCs))
	addrs := make([]string, len(info.ReadySCs))
	i := 0
	for sc, sci := range info.ReadySCs {
		addrs[i] = sci.Address.Addr
		ready[addrs[i]] = readySubConn{sc: sc, addr: &addrs[i]}
		i++
	}
	pool.Ensure(addrs)
	// Readiness (connected and, with health checking, SERVING) is the gRPC instances' health.
	for _, in := range pool.Instances() {
		_, ok := ready[in.Addr()]
		pool.SetHealthy(in.Addr(), ok)
	}
	if len(addrs) == 0 {
		return base.NewErrPicker(grpcbalancer.ErrNoSubConnAvailable) // wait for a connection
	}
	return &picker{pool: pool, ready: ready, any: addrs}
}

// picker picks through the Pool; it never blocks, does no I/O and allocates nothing but the Done
// callback (which carries the pick's start for the latency score).
type picker struct {
	pool  *balancer.Pool
	ready map[string]readySubConn
	any   []string // ready addresses, for the rare pick of an instance that is not ready
	next  atomic.Uint32
}

// readySubConn is a ready sub-connection and its address, kept where the attempt can point at it
// without a copy per pick.
type readySubConn struct {
	sc   grpcbalancer.SubConn
	addr *string // an element of picker.any
}

// Pick implements balancer.Picker.
func (p *picker) Pick(info grpcbalancer.PickInfo) (grpcbalancer.PickResult, error) {
	h := attemptFrom(info.Ctx)
	avoid := ""
	if h != nil {
		avoid = h.avoid
	}
	pk, err := p.pool.Pick(avoid)
	if err != nil {
		return grpcbalancer.PickResult{}, grpcbalancer.ErrNoSubConnAvailable
	}
	r, ok := p.ready[pk.Instance.Addr()]
	if !ok {
		// Panic mode may choose an instance that is not connected: send to a ready one instead.
		pk.Done(balancer.Ignore)
		r = p.ready[p.any[int(p.next.Add(1))%len(p.any)]]
		if h != nil {
			h.picked.Store(r.addr)
		}
		return grpcbalancer.PickResult{SubConn: r.sc}, nil
	}
	if h != nil {
		h.picked.Store(r.addr)
	}
	return grpcbalancer.PickResult{SubConn: r.sc, Done: func(di grpcbalancer.DoneInfo) {
		pk.Done(outcome(h, info.Ctx, di.Err))
	}}, nil
}

// outcome is what a finished call says about its instance.
func outcome(h *attempt, ctx context.Context, err error) balancer.Outcome {
	if err == nil {
		return balancer.Success
	}
	switch status.Code(err) {
	case codes.InvalidArgument, codes.NotFound, codes.FailedPrecondition, codes.OutOfRange, codes.AlreadyExists,
		codes.PermissionDenied, codes.Unauthenticated:
		return balancer.Success // the instance answered
	}
	if h != nil && h.parent != nil {
		ctx = h.parent
	}
	if ctx.Err() != nil {
		return balancer.Ignore // the caller gave up
	}
	return balancer.Failure
}

// attempt is what one attempt tells the picker (the instance to avoid) and learns from it (the
// instance picked).
type attempt struct {
	avoid  string
	parent context.Context // the call's context: an attempt timeout is the instance's failure
	picked atomic.Pointer[string]
}

type attemptKey struct{}

func withAttempt(ctx context.Context, a *attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

func attemptFrom(ctx context.Context) *attempt {
	if ctx == nil {
		return nil
	}
	a, _ := ctx.Value(attemptKey{}).(*attempt)
	return a
}

// instance returns the address the attempt went to, "" when none was picked.
func (a *attempt) instance() string {
	if p := a.picked.Load(); p != nil {
		return *p
	}
	return ""
}
