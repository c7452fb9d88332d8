package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/gateway"
)

// Upstream routes as the sample services count them.
const (
	routeUsers     = "GET /users"
	routeProducts  = "GET /products"
	routeTop       = "GET /products/top"
	routeReviews   = "GET /reviews"
	routeAddReview = "POST /reviews"
	routeGetStock  = "/trellis.inventory.v1.InventoryService/GetStock"
)

// The batching minimum is one call per (upstream, key kind, depth level). The reference query's two
// branches reach the services level by level:
//
//	level  users branch                          topProducts branch
//	1      accounts page                         products top
//	2      reviews by author                     stock, reviews by product
//	3      products by upc                       users by id
//	4      stock, reviews by product             reviews by author
//	5      users by id                           products by upc
//	6      reviews by author                     stock
//	7      products by upc
//	8      stock
//
// (Levels count upstream round trips; the depth of the fields behind them differs by one between the
// branches, since users sit below users.nodes.) No (kind, depth) pair appears in both branches, so the
// whole query costs exactly the sum of the two branches.
var (
	usersBranchCalls = map[string]map[string]int{
		demo.Accounts:  {routeUsers: 2},    // page, users by id
		demo.Products:  {routeProducts: 2}, // products by upc ×2
		demo.Reviews:   {routeReviews: 3},  // by author ×2, by product
		demo.Inventory: {routeGetStock: 2},
	}
	topBranchCalls = map[string]map[string]int{
		demo.Accounts:  {routeUsers: 1},
		demo.Products:  {routeTop: 1, routeProducts: 1},
		demo.Reviews:   {routeReviews: 2}, // by product, by author
		demo.Inventory: {routeGetStock: 2},
	}
)

// TestBatchingInvariant proves, from the services' own counters, that the reference query and each of
// its branches cost exactly the batching minimum, whatever the number of objects per level.
func TestBatchingInvariant(t *testing.T) {
	// A data set wide enough that no level's keys were all fetched at an earlier level (per-request
	// deduplication would rightly save whole calls, and 100 users would cost fewer than 10), and sparse
	// enough that no level needs more than the services' 500 keys per call (a larger batch is rightly
	// split).
	// 100 users through five nested lists costs 424 101 points, over the default cost.max_cost.
	e := newEnvWithData(t, data.Config{Users: 5000, Products: 5000, ReviewsPerUser: 2}, func(c *gateway.Config) { c.Cost.MaxCost = 1_000_000 })
	run := func(t *testing.T, file string, users int) map[string]map[string]int {
		t.Helper()
		e.cluster.ResetCalls()
		resp := e.query(t, "", readFile(t, file), map[string]any{"users": users})
		if resp.Status != 200 || len(resp.Errors) > 0 {
			t.Fatalf("%s users=%d: status %d, errors %+v", file, users, resp.Status, resp.Errors)
		}
		return dataCalls(e.cluster.Calls())
	}
	for _, users := range []int{10, 100} {
		t.Run(fmt.Sprintf("users=%d", users), func(t *testing.T) {
			if diff := cmp.Diff(usersBranchCalls, run(t, "users_branch.graphql", users)); diff != "" {
				t.Errorf("users branch: upstream calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(topBranchCalls, run(t, "top_branch.graphql", users)); diff != "" {
				t.Errorf("topProducts branch: upstream calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(sum(usersBranchCalls, topBranchCalls), run(t, "reference.graphql", users)); diff != "" {
				t.Errorf("reference query: upstream calls (-want +got):\n%s", diff)
			}
		})
	}
}

func sum(a, b map[string]map[string]int) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, m := range []map[string]map[string]int{a, b} {
		for svc, routes := range m {
			if out[svc] == nil {
				out[svc] = map[string]int{}
			}
			for route, n := range routes {
				out[svc][route] += n
			}
		}
	}
	return out
}

// dataCalls drops health checks and services with no calls from a counter snapshot.
func dataCalls(all map[string]map[string]int) map[string]map[string]int {
	out := map[string]map[string]int{}
	for svc, routes := range all {
		for route, n := range routes {
			if n == 0 || route == "GET /healthz" || route == "/grpc.health.v1.Health/Check" || route == "/grpc.health.v1.Health/Watch" {
				continue
			}
			if out[svc] == nil {
				out[svc] = map[string]int{}
			}
			out[svc][route] = n
		}
	}
	return out
}

// TestSlowUpstreamKeepsBatches: a shallower call that takes long holds deeper keys back on purpose;
// they must still go out as one call per (loader, depth) once it returns.
func TestSlowUpstreamKeepsBatches(t *testing.T) {
	e := newEnv(t)
	if err := e.cluster.SetFault(demo.Orders, -1, faults.Fault{Latency: 80 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	e.cluster.ResetCalls()
	o1, _ := e.index.Order("o1")
	resp := e.query(t, o1.BuyerID, `{ order(id: "o1") { items { product { name } } } user(id: "7") { reviews { product { name } } } }`, nil) // an order is its buyer's only
	if resp.Status != 200 || len(resp.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", resp.Status, resp.Errors)
	}
	if got := e.cluster.Calls()[demo.Products][routeProducts]; got != 1 {
		t.Fatalf("products by upc at one depth took %d calls, want 1", got)
	}
}
