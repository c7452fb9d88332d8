// Package demoupstreams points an upstreams.Config at a running set of sample services, for the
// tests and benchmarks that start them in-process.
package demoupstreams

import (
	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/upstreams"
)

// Point sets cfg's five upstream addresses to the first instance of each of cluster's services and
// leaves every other setting as it is.
func Point(cfg *upstreams.Config, cluster *demo.Cluster) {
	cfg.Accounts.URL = "http://" + cluster.Addrs(demo.Accounts)[0]
	cfg.Products.URL = "http://" + cluster.Addrs(demo.Products)[0]
	cfg.Reviews.URL = "http://" + cluster.Addrs(demo.Reviews)[0]
	cfg.Inventory.Target = cluster.Addrs(demo.Inventory)[0]
	cfg.Orders.Target = cluster.Addrs(demo.Orders)[0]
}
