// Package demoupstreams points an upstreams.Config at a running set of sample services, for the
// tests and benchmarks that start them in-process.
package demoupstreams

import (
	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/upstreams"
)

// Point sets the address of each of cfg's upstreams named like one of cluster's services (accounts,
// products, reviews under rest; inventory, orders under grpc) to that service's first instance, and
// leaves every other setting as it is.
func Point(cfg *upstreams.Config, cluster *demo.Cluster) {
	for _, svc := range demo.Services() {
		Set(cfg, svc, cluster.Addrs(svc)[0])
	}
}

// Set points cfg's upstream name at the one instance addr (host:port), declaring it when missing:
// under grpc for inventory and orders, under rest otherwise.
func Set(cfg *upstreams.Config, name, addr string) {
	if _, ok := cfg.GRPC[name]; ok || name == demo.Inventory || name == demo.Orders {
		cfg.EditGRPC(name, func(g *upstreams.GRPCConfig) { g.Target, g.Targets = addr, nil })
		return
	}
	cfg.EditREST(name, func(r *upstreams.RESTConfig) { r.URL, r.URLs = "http://"+addr, nil })
}
