package upstreams_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/upstreams"
)

// TestReady: readiness is read from the pools' health, kept by the REST health checks (on their
// configured path) and grpc-go's connectivity, and costs no upstream call: a hundred checks count no
// upstream attempt and reach no service. An upstream whose only instance goes down makes it fail,
// naming that upstream alone.
func TestReady(t *testing.T) {
	for _, tt := range []struct {
		name string
		down string
	}{
		{"REST upstream down", demo.Accounts},
		{"gRPC upstream down", demo.Inventory},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t, data.Config{}, func(c *upstreams.Config) {
				for name := range c.REST {
					c.EditREST(name, func(r *upstreams.RESTConfig) { r.HealthCheck.Interval = 50 * time.Millisecond })
				}
			})
			waitFor(t, "ready", func() bool { return e.clients.Ready() == nil })

			attempts := func() int64 {
				var n int64
				for _, u := range []string{"accounts", "products", "reviews", "inventory", "orders"} {
					n += sumCounter(t, "trellis.upstream.requests", "upstream", u)
				}
				return n
			}
			e.cluster.ResetCalls()
			before := attempts()
			for range 100 {
				if err := e.clients.Ready(); err != nil {
					t.Fatalf("Ready: %v", err)
				}
			}
			if n := attempts() - before; n != 0 {
				t.Errorf("100 readiness checks counted %d upstream attempts, want 0", n)
			}
			for svc, routes := range e.cluster.Calls() {
				for route, n := range routes {
					if route != "GET /healthz" && !strings.HasPrefix(route, "/grpc.health.v1.Health/") && n > 0 {
						t.Errorf("%s served %d calls of %s during readiness checks", svc, n, route)
					}
				}
				// The REST health checker probes on its own schedule: 100 checks do not add 100 probes.
				if n := routes["GET /healthz"]; n > 50 {
					t.Errorf("%s served %d GET /healthz: readiness probes the upstream", svc, n)
				}
			}

			if err := e.cluster.SetFault(tt.down, 0, faultDown()); err != nil {
				t.Fatal(err)
			}
			var err error
			waitFor(t, tt.down+" not ready", func() bool { err = e.clients.Ready(); return err != nil })
			for _, svc := range demo.Services() {
				if named := strings.Contains(err.Error(), "upstream "+svc+":"); named != (svc == tt.down) {
					t.Errorf("Ready() = %q: names %s %t, want %t", err, svc, named, svc == tt.down)
				}
			}
		})
	}
}
