package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/upstreams"
)

// TestRevalidationAfterTTL: once the REST kinds' TTL has passed, the reference query's REST look-ups
// are conditional and the sample services answer every one with a 304 (their counters tell 304 from
// 200), the answer unchanged; a review written straight to the reviews service (behind the gateway's
// back, so no invalidation) makes the next revalidation of its batches a 200 with the new data.
func TestRevalidationAfterTTL(t *testing.T) {
	const ttl = time.Second
	rest := []string{upstreams.KindUsersByID, upstreams.KindProductsByUPC, upstreams.KindReviewsByProduct,
		upstreams.KindReviewsByAuthor, upstreams.KindUsersPage, upstreams.KindTopProducts}
	e := newEnv(t, cached, func(c *gateway.Config) {
		c.Cache.Kinds = map[string]upstreams.KindConfig{}
		for _, k := range rest {
			c.Cache.Kinds[k] = upstreams.KindConfig{MaxAge: ttl}
		}
	})
	query := readFile(t, "reference.graphql")
	first := e.query(t, "", query, nil)
	if first.Status != 200 || len(first.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", first.Status, first.Errors)
	}
	restCalls := func() (calls, notModified int, perService map[string][2]int) {
		perService = map[string][2]int{}
		all, nm := e.cluster.Calls(), e.cluster.NotModified()
		for _, svc := range []string{demo.Accounts, demo.Products, demo.Reviews} {
			var c, n int
			for route, k := range all[svc] {
				if strings.HasPrefix(route, "GET /") && route != "GET /healthz" {
					c += k
					n += nm[svc][route]
				}
			}
			perService[svc] = [2]int{c, n}
			calls, notModified = calls+c, notModified+n
		}
		return calls, notModified, perService
	}

	time.Sleep(ttl + 100*time.Millisecond)
	e.cluster.ResetCalls()
	second := e.query(t, "", query, nil)
	if string(second.Data) != string(first.Data) {
		t.Fatal("the revalidated answer differs from the first")
	}
	calls, nm, per := restCalls()
	t.Logf("after the TTL: %d REST look-ups, %d answered 304 (per service [calls, 304s]: %v)", calls, nm, per)
	if calls == 0 || nm != calls {
		t.Errorf("after the TTL: %d REST look-ups, %d of them 304 (per service [calls, 304s]: %v); want every one a 304", calls, nm, per)
	}

	var data struct {
		TopProducts []struct {
			UPC string `json:"upc"`
		} `json:"topProducts"`
	}
	if err := json.Unmarshal(first.Data, &data); err != nil || len(data.TopProducts) == 0 {
		t.Fatalf("reference data: %v", err)
	}
	upc, author := data.TopProducts[0].UPC, e.index.Set.Users[0].ID
	body, _ := json.Marshal(map[string]any{"product_upc": upc, "author_id": author, "body": "written behind the gateway", "rating": 4})
	resp, err := http.Post("http://"+e.cluster.Addrs(demo.Reviews)[0]+"/reviews", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /reviews: %d %s", resp.StatusCode, msg)
	}

	time.Sleep(ttl + 100*time.Millisecond)
	e.cluster.ResetCalls()
	third := e.query(t, "", query, nil)
	if !strings.Contains(string(third.Data), "written behind the gateway") {
		t.Error("the revalidation after the change did not bring the new review")
	}
	calls, nm, per = restCalls()
	t.Logf("after the change: %d REST look-ups, %d answered 304 (per service [calls, 304s]: %v)", calls, nm, per)
	if rv := per[demo.Reviews]; rv[0] == 0 || rv[1] == rv[0] {
		t.Errorf("after the change: reviews [calls, 304s] %v; want some 200s", rv)
	}
	if nm == 0 {
		t.Errorf("after the change: no 304 at all (%v); the unchanged batches should still be", per)
	}
}

// TestStaleWhileRevalidate: with users_by_id's stale_while_revalidate, a look-up past the TTL is
// answered at once with the stale user while one background refresh, conditional, makes the only
// upstream call (a 304 from accounts); asking again meanwhile costs nothing more.
func TestStaleWhileRevalidate(t *testing.T) {
	const ttl = time.Second
	e := newEnv(t, cached, func(c *gateway.Config) {
		c.Cache.Kinds = map[string]upstreams.KindConfig{upstreams.KindUsersByID: {MaxAge: ttl, StaleWhileRevalidate: time.Minute}}
	})
	const q = `{ a: user(id: "1") { name } b: user(id: "2") { name } }`
	first := e.query(t, "", q, nil)
	if len(first.Errors) > 0 {
		t.Fatal(first.Errors)
	}
	time.Sleep(ttl + 100*time.Millisecond)
	e.cluster.ResetCalls()
	second := e.query(t, "", q, nil)
	if string(second.Data) != string(first.Data) {
		t.Fatalf("stale answer %s, want %s", second.Data, first.Data)
	}
	for e.cluster.NotModified()[demo.Accounts][routeUsers] == 0 {
		time.Sleep(10 * time.Millisecond) // the background refresh; the test's deadline bounds the wait
	}
	third := e.query(t, "", q, nil)
	if string(third.Data) != string(first.Data) {
		t.Fatalf("third answer %s", third.Data)
	}
	if got := dataCalls(e.cluster.Calls()); !cmp.Equal(got, map[string]map[string]int{demo.Accounts: {routeUsers: 1}}) {
		t.Errorf("calls %v, want one GET /users (the background refresh)", got)
	}
}
