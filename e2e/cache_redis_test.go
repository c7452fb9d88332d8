package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/trellisgw/trellis/internal/redistest"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/upstreams"
)

// sharedCache turns the entity cache on with its second level in the Redis at addr, under prefix.
func sharedCache(addr, prefix string, timeout time.Duration) func(*gateway.Config) {
	return func(c *gateway.Config) {
		c.Cache.Enabled = true
		c.Cache.Store = upstreams.CacheStoreRedis
		c.Cache.Redis.Addr = addr
		c.Cache.Redis.KeyPrefix = prefix
		c.Cache.Redis.Timeout = timeout
		// Stock's 5s must not pass between the two gateways' queries on a loaded machine.
		c.Cache.Kinds = map[string]upstreams.KindConfig{upstreams.KindStockByUPC: {MaxAge: time.Hour}}
	}
}

// TestRedisCacheSharedByTwoGateways: what one gateway fetched, the other finds in Redis: its first
// reference query costs no upstream call at all.
func TestRedisCacheSharedByTwoGateways(t *testing.T) {
	rs := redistest.Start(t)
	tweak := sharedCache(rs.Addr, "ec1:", 2*time.Second)
	e := newEnv(t, tweak)
	b := e.secondGateway(t, tweak)
	query := readFile(t, "reference.graphql")
	first := e.query(t, "", query, nil)
	if first.Status != 200 || len(first.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", first.Status, first.Errors)
	}
	hits := counterWhere(t, "trellis.cache.hits", map[string]string{"level": "redis"})
	e.cluster.ResetCalls()
	second := e.queryAt(t, b, nil, query, nil)
	if got := dataCalls(e.cluster.Calls()); len(got) != 0 {
		t.Errorf("the second gateway's first reference query cost upstream calls: %v", got)
	}
	if string(second.Data) != string(first.Data) {
		t.Errorf("the second gateway answers otherwise:\n%s\n%s", first.Data, second.Data)
	}
	if got := counterWhere(t, "trellis.cache.hits", map[string]string{"level": "redis"}) - hits; got == 0 {
		t.Error("trellis.cache.hits{level=redis} did not count the second gateway's hits")
	}
}

// TestRedisCacheInvalidationAcrossGateways: a mutation through one gateway is visible at once through
// the other, whose in-process copies the invalidation dropped; so is an admin's purge.
func TestRedisCacheInvalidationAcrossGateways(t *testing.T) {
	rs := redistest.Start(t)
	tweak := sharedCache(rs.Addr, "ec2:", 2*time.Second)
	e := newEnv(t, tweak)
	a, b := e.server.URL, e.secondGateway(t, tweak)
	const author = "4"
	q := `query($upc: ID!, $id: ID!) { product(upc: $upc) { reviews(first: 100) { id } } user(id: $id) { reviews(first: 100) { id } } }`
	vars := map[string]any{"upc": "p2", "id": author}
	type reviews struct {
		Product struct{ Reviews []struct{ ID string } } `json:"product"`
		User    struct{ Reviews []struct{ ID string } } `json:"user"`
	}
	var before, after reviews
	e.queryAt(t, a, nil, q, vars).decode(t, &before)
	e.queryAt(t, b, nil, q, vars).decode(t, &before) // both hold them in process now
	e.cluster.ResetCalls()
	e.queryAt(t, b, nil, q, vars)
	if got := dataCalls(e.cluster.Calls()); len(got) != 0 {
		t.Fatalf("b's warm query cost %v", got)
	}
	if r := e.queryAt(t, a, bearer(t, author), `mutation { addReview(input: {productUpc: "p2", body: "shared?", rating: 3}) { review { id } } }`, nil); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	e.queryAt(t, b, nil, q, vars).decode(t, &after)
	if len(after.Product.Reviews) != len(before.Product.Reviews)+1 || len(after.User.Reviews) != len(before.User.Reviews)+1 {
		t.Errorf("b after addReview through a: %d/%d reviews (was %d/%d)", len(after.Product.Reviews), len(after.User.Reviews),
			len(before.Product.Reviews), len(before.User.Reviews))
	}

	// placeOrder through b: the buyer's orders (private) through a show it at once.
	const buyer = "2"
	oq := `query($id: ID!) { user(id: $id) { orders(first: 100) { nodes { id } } } }`
	type orders struct {
		User struct {
			Orders struct{ Nodes []struct{ ID string } } `json:"orders"`
		} `json:"user"`
	}
	var ob, oa orders
	e.queryAt(t, a, bearer(t, buyer), oq, map[string]any{"id": buyer}).decode(t, &ob)
	e.queryAt(t, b, bearer(t, buyer), oq, map[string]any{"id": buyer}).decode(t, &ob)
	if r := e.queryAt(t, b, bearer(t, buyer), `mutation { placeOrder(input: {items: [{productUpc: "p1", quantity: 1}]}) { order { id } } }`, nil); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	e.queryAt(t, a, bearer(t, buyer), oq, map[string]any{"id": buyer}).decode(t, &oa)
	if len(oa.User.Orders.Nodes) != len(ob.User.Orders.Nodes)+1 {
		t.Errorf("a after placeOrder through b: %d orders, was %d", len(oa.User.Orders.Nodes), len(ob.User.Orders.Nodes))
	}

	// An admin's purge through a empties b's in-process level and Redis: b's next query costs calls.
	const uq = `{ a: user(id: "1") { name } b: user(id: "2") { name } }`
	e.queryAt(t, b, nil, uq, nil)
	resp, err := e.admin.Client().Post(e.admin.URL+"/admin/cache/purge", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("purge: %d", resp.StatusCode)
	}
	e.cluster.ResetCalls()
	e.queryAt(t, b, nil, uq, nil)
	if diff := cmp.Diff(map[string]map[string]int{"accounts": {routeUsers: 1}}, dataCalls(e.cluster.Calls())); diff != "" {
		t.Errorf("b after a purge through a (-want +got):\n%s", diff)
	}
}

// TestRedisCacheDownIsMisses: with Redis paused (SIGSTOP: connections hang, every call would wait for
// its timeout) or stopped (connections refused), entity look-ups are misses answered by the upstreams:
// no client error, and requests are not each held for the Redis timeout (the back-off keeps them off
// Redis); the failures are counted.
func TestRedisCacheDownIsMisses(t *testing.T) {
	for _, tt := range []struct {
		name string
		down func(*redistest.Server)
	}{
		{"paused", func(rs *redistest.Server) { rs.Pause() }},
		{"stopped", func(rs *redistest.Server) { rs.Stop() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs := redistest.Start(t)

			const timeout = 100 * time.Millisecond
			e := newEnv(t, sharedCache(rs.Addr, "ec3:", timeout))
			if r := e.query(t, "", `{ user(id: "1") { name } }`, nil); len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
			errs := counterWhere(t, "trellis.cache.errors", map[string]string{"op": "get"})
			tt.down(rs)
			const window = 2 * time.Second
			start := time.Now()
			n := 0
			for time.Since(start) < window {
				n++
				id := fmt.Sprint(2 + n%40) // keys not in process: each asks Redis unless it backs off
				r := e.query(t, "", `query($id: ID!) { user(id: $id) { name } }`, map[string]any{"id": id})
				if r.Status != 200 || len(r.Errors) > 0 {
					t.Fatalf("request %d with Redis %s: status %d, %+v", n, tt.name, r.Status, r.Errors)
				}
			}
			elapsed := time.Since(start)
			// Had each request waited for the timeout, at most elapsed/timeout of them would have run.
			if most := int(elapsed / timeout); n < 5*most {
				t.Errorf("%d requests in %s with Redis %s; paying the %s timeout each allows %d: they were not kept off Redis", n, elapsed.Round(time.Millisecond), tt.name, timeout, most)
			}
			if got := counterWhere(t, "trellis.cache.errors", map[string]string{"op": "get"}) - errs; got == 0 {
				t.Errorf("trellis.cache.errors{op=get} did not count the %s Redis", tt.name)
			}
			t.Logf("%d requests in %s with Redis %s (timeout %s)", n, elapsed.Round(time.Millisecond), tt.name, timeout)
		})
	}
}

// TestPrivateDataNeverCrossesCallersOverRedis is TestPrivateDataNeverCrossesCallers through two
// gateways sharing entries in one Redis.
func TestPrivateDataNeverCrossesCallersOverRedis(t *testing.T) {
	rs := redistest.Start(t)
	tweak := sharedCache(rs.Addr, "ec4:", 2*time.Second)
	e := newEnv(t, tweak)
	privateDataNeverCrosses(t, e, e.server.URL, e.secondGateway(t, tweak))
}
