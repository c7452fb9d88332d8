package e2e

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/upstreams"
)

// Traffic management end to end (the replica tests live in upstreams/traffic_test.go): what a client
// sees while an upstream is down, and how far its deadline reaches.

const authorsQuery = `{ topProducts(first: 2) { upc name reviews(first: 1) { id author { name } } } }`

// authorErrors returns the codes of the errors at the two author paths of authorsQuery, and whether
// the rest of the answer was served.
func authorErrors(t *testing.T, r response) (codes map[string]string, served bool) {
	t.Helper()
	var data struct {
		TopProducts []struct {
			Name    string
			Reviews []struct{ ID string }
		}
	}
	r.decode(t, &data)
	served = len(data.TopProducts) == 2
	for _, p := range data.TopProducts {
		served = served && p.Name != "" && len(p.Reviews) == 1 && p.Reviews[0].ID != ""
	}
	return errorsByPath(r.Errors), served
}

func TestBreakerOpenAnswersWithoutCallingAndCloses(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) {
		c.Upstreams.EditREST("accounts", func(r *upstreams.RESTConfig) {
			a := &r.Traffic.Resilience
			a.Retry.Attempts = 1
			a.Breaker.MinRequests = 4
			a.Breaker.OpenTime = 3 * time.Second // longer than the queries below, even on a starved machine
		})
	})
	if err := e.cluster.SetFault(demo.Accounts, -1, faults.Fault{ErrorRate: 1}); err != nil {
		t.Fatal(err)
	}
	for range 4 { // the breaker's min_requests, all failing
		e.query(t, "", authorsQuery, nil)
	}
	e.cluster.ResetCalls()
	for i := range 5 {
		r := e.query(t, "", authorsQuery, nil)
		codes, served := authorErrors(t, r)
		if !served || len(codes) != 2 || codes["topProducts.0.reviews.0.author"] != "UPSTREAM_UNAVAILABLE" {
			t.Fatalf("query %d with the breaker open: served %v, errors %v; want partial data and UPSTREAM_UNAVAILABLE", i, served, codes)
		}
		assertNoLeak(t, r.Raw)
	}
	if n := e.cluster.Calls()[demo.Accounts]["GET /users"]; n != 0 {
		t.Errorf("accounts served %d calls while its breaker was open, want 0 (answers without I/O)", n)
	}
	if err := e.cluster.SetFault(demo.Accounts, -1, faults.Fault{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second) // liveness bound, far above open_time
	for {
		r := e.query(t, "", authorsQuery, nil)
		if len(r.Errors) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("breaker never closed after recovery: %s", r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClientDeadlineEndToEnd: a 50 ms request deadline ends the upstream call it is waiting for (the
// instance would take 10 s), which is not retried past the deadline.
func TestClientDeadlineEndToEnd(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.Server.RequestTimeout = 50 * time.Millisecond })
	if err := e.cluster.SetFault(demo.Accounts, -1, faults.Fault{Latency: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	e.cluster.ResetCalls()
	r := e.query(t, "", authorsQuery, nil)
	codes, _ := authorErrors(t, r)
	if codes["topProducts.0.reviews.0.author"] != "UPSTREAM_TIMEOUT" {
		t.Fatalf("errors %v, want UPSTREAM_TIMEOUT at the authors: %s", codes, r.Raw)
	}
	if n := e.cluster.Calls()[demo.Accounts]["GET /users"]; n != 1 {
		t.Errorf("accounts saw %d calls, want 1: nothing is retried past the deadline", n)
	}
	// No upstream call outlives the request: the attempt leaves the in-flight gauge long before the
	// instance's 10 s latency would have ended it.
	deadline := time.Now().Add(5 * time.Second)
	for gaugeValue(t, "trellis.upstream.in_flight", "accounts") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the accounts attempt is still in flight after the request ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMutationIsNotRetriedEndToEnd(t *testing.T) {
	e := newEnv(t)
	// Connect first (the read is retried and succeeds), so that the fault below fails calls rather
	// than the health checks of a new connection.
	o1, _ := e.index.Order("o1")
	if r := e.query(t, o1.BuyerID, `{ order(id: "o1") { id } }`, nil); len(r.Errors) != 0 { // as its buyer
		t.Fatalf("warm-up: %s", r.Raw)
	}
	if err := e.cluster.SetFault(demo.Orders, -1, faults.Fault{ErrorRate: 1}); err != nil {
		t.Fatal(err)
	}
	e.cluster.ResetCalls()
	r := e.query(t, "5", placeOrder, map[string]any{"in": map[string]any{"items": []any{map[string]any{"productUpc": "p1", "quantity": 1}}}})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UPSTREAM_UNAVAILABLE" {
		t.Fatalf("placeOrder with orders failing: %s, want UPSTREAM_UNAVAILABLE", r.Raw)
	}
	if n := e.cluster.Calls()[demo.Orders]["/trellis.orders.v1.OrderService/PlaceOrder"]; n != 1 {
		t.Errorf("PlaceOrder reached the service %d times, want 1 (never retried)", n)
	}
	e.query(t, o1.BuyerID, `{ order(id: "o1") { id } }`, nil)
	if n := e.cluster.Calls()[demo.Orders]["/trellis.orders.v1.OrderService/GetOrders"]; n != 3 {
		t.Errorf("GetOrders reached the service %d times, want 3 (a read is retried)", n)
	}
}

// gaugeValue sums the Int64 gauge name over the data points of upstream.
func gaugeValue(t *testing.T, name, upstream string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			g, ok := m.Data.(metricdata.Gauge[int64])
			if !ok || m.Name != name {
				continue
			}
			for _, dp := range g.DataPoints {
				if v, ok := dp.Attributes.Value(attribute.Key("upstream")); ok && v.AsString() == upstream {
					total += dp.Value
				}
			}
		}
	}
	return total
}
