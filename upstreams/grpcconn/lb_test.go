package grpcconn

import (
	"context"
	"testing"

	grpcbalancer "google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/base"
	"google.golang.org/grpc/resolver"

	"github.com/trellisgw/trellis/upstreams/balancer"
)

// fakeSubConn is a ready sub-connection for the picker; it is never connected.
type fakeSubConn struct{ grpcbalancer.SubConn }

// TestPickAllocs pins that a pick allocates nothing but its Done callback, and tells the attempt
// which instance it went to.
func TestPickAllocs(t *testing.T) {
	pool, err := balancer.NewPool(balancer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pb := &pickerBuilder{}
	pb.pool.Store(pool)
	addrs := []string{"10.0.0.1:4401", "10.0.0.2:4401"}
	pool.Update(addrs)
	ready := map[grpcbalancer.SubConn]base.SubConnInfo{}
	for _, a := range addrs {
		ready[&fakeSubConn{}] = base.SubConnInfo{Address: resolver.Address{Addr: a}}
	}
	p := pb.Build(base.PickerBuildInfo{ReadySCs: ready})
	h := &attempt{parent: context.Background()}
	info := grpcbalancer.PickInfo{Ctx: withAttempt(context.Background(), h)}
	n := testing.AllocsPerRun(100, func() {
		res, err := p.Pick(info)
		if err != nil {
			t.Fatal(err)
		}
		res.Done(grpcbalancer.DoneInfo{})
	})
	if n > 1 {
		t.Errorf("a pick allocates %v times, want at most 1 (its Done callback)", n)
	}
	if got := h.instance(); got != addrs[0] && got != addrs[1] {
		t.Errorf("attempt's instance = %q, want one of %v", got, addrs)
	}
}
