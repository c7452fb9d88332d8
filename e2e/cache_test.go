package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/telemetry"
	"github.com/trellisgw/trellis/upstreams"
)

// cached turns the entity cache on.
func cached(c *gateway.Config) { c.Cache.Enabled = true }

// TestSecondReferenceQueryIsFree: with the entity cache, the second reference query costs no upstream
// call at all and answers the same.
func TestSecondReferenceQueryIsFree(t *testing.T) {
	e := newEnv(t, cached)
	query := readFile(t, "reference.graphql")
	first := e.query(t, "", query, nil)
	if first.Status != 200 || len(first.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", first.Status, first.Errors)
	}
	e.cluster.ResetCalls()
	second := e.query(t, "", query, nil)
	if got := dataCalls(e.cluster.Calls()); len(got) != 0 {
		t.Errorf("the second reference query cost upstream calls: %v", got)
	}
	if string(second.Data) != string(first.Data) {
		t.Error("the second answer differs from the first")
	}
	if got := second.Header.Get("Cache-Control"); got != "public, max-age=5" { // stock: 5s
		t.Errorf("Cache-Control %q, want public, max-age=5", got)
	}
}

// TestPartialOverlapSendsOnlyMisses: keys cached by one query are not sent again by the next; the
// fan-out plan shows the cache's share.
func TestPartialOverlapSendsOnlyMisses(t *testing.T) {
	e := newEnv(t, cached)
	if r := e.query(t, "", `{ a: user(id: "1") { name } b: user(id: "2") { name } }`, nil); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	e.cluster.ResetCalls()
	status, _, raw := e.post(t, `{ a: user(id: "1") { name } c: user(id: "3") { name } b: user(id: "2") { name } }`,
		map[string]string{telemetry.TraceHeader: "1"})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, raw)
	}
	var resp struct {
		Data       map[string]struct{ Name string } `json:"data"`
		Extensions struct {
			Trace []planned `json:"trace"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	var sent, fromCache int
	for _, c := range resp.Extensions.Trace {
		if c.Upstream != demo.Accounts {
			continue
		}
		if c.CacheHit {
			fromCache += c.BatchSize
		} else {
			sent += c.BatchSize
		}
	}
	if sent != 1 || fromCache != 2 {
		t.Errorf("plan: %d keys sent, %d from cache; want 1 and 2 (%+v)", sent, fromCache, resp.Extensions.Trace)
	}
	if got := e.cluster.Calls()[demo.Accounts][routeUsers]; got != 1 {
		t.Errorf("accounts served %d calls, want 1", got)
	}
	for alias, id := range map[string]string{"a": "1", "b": "2", "c": "3"} {
		u, _ := e.index.User(id)
		if resp.Data[alias].Name != u.Name {
			t.Errorf("%s: %q, want %q", alias, resp.Data[alias].Name, u.Name)
		}
	}
}

// TestTTLExpiryCostsTheExpiredKinds: once stock's TTL has passed, the same query costs exactly the
// stock look-up again.
func TestTTLExpiryCostsTheExpiredKinds(t *testing.T) {
	const ttl = 1500 * time.Millisecond
	e := newEnv(t, cached, func(c *gateway.Config) {
		c.Cache.Kinds = map[string]upstreams.KindConfig{upstreams.KindStockByUPC: {MaxAge: ttl}}
	})
	const q = `{ topProducts(first: 3) { name inStock reviews { body } } }`
	start := time.Now()
	e.query(t, "", q, nil)
	e.cluster.ResetCalls()
	e.query(t, "", q, nil)
	if time.Since(start) < ttl {
		if got := dataCalls(e.cluster.Calls()); len(got) != 0 {
			t.Errorf("within the TTL: calls %v, want none", got)
		}
	}
	time.Sleep(time.Until(start.Add(ttl + 50*time.Millisecond)))
	e.cluster.ResetCalls()
	e.query(t, "", q, nil)
	want := map[string]map[string]int{demo.Inventory: {routeGetStock: 1}}
	if diff := cmp.Diff(want, dataCalls(e.cluster.Calls())); diff != "" {
		t.Errorf("after stock's TTL (-want +got):\n%s", diff)
	}
}

// TestMutationsInvalidate: a review added is visible at once in the cached reviews of its product
// and of its author.
func TestMutationsInvalidate(t *testing.T) {
	e := newEnv(t, cached)
	const author = "4"
	q := `query($upc: ID!, $id: ID!) { product(upc: $upc) { reviews(first: 100) { id } } user(id: $id) { reviews(first: 100) { id } } }`
	vars := map[string]any{"upc": "p2", "id": author}
	type reviews struct {
		Product struct{ Reviews []struct{ ID string } } `json:"product"`
		User    struct{ Reviews []struct{ ID string } } `json:"user"`
	}
	var before, after reviews
	e.query(t, "", q, vars).decode(t, &before)
	r := e.query(t, author, `mutation { addReview(input: {productUpc: "p2", body: "cached?", rating: 3}) { review { id } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("mutation: Cache-Control %q, want no-store", got)
	}
	e.query(t, "", q, vars).decode(t, &after)
	if len(after.Product.Reviews) != len(before.Product.Reviews)+1 || len(after.User.Reviews) != len(before.User.Reviews)+1 {
		t.Errorf("after addReview: %d/%d reviews (was %d/%d)", len(after.Product.Reviews), len(after.User.Reviews),
			len(before.Product.Reviews), len(before.User.Reviews))
	}
}

// TestAdminPurge: POST /admin/cache/purge drops the named keys.
func TestAdminPurge(t *testing.T) {
	e := newEnv(t, cached)
	const q = `{ a: user(id: "1") { name } b: user(id: "2") { name } }`
	e.query(t, "", q, nil)
	for _, tt := range []struct {
		query string
		want  int
	}{{"?kind=nope", http.StatusBadRequest}, {"?key=1", http.StatusBadRequest}, {"?kind=users_by_id&key=1", http.StatusOK}} {
		resp, err := e.admin.Client().Post(e.admin.URL+"/admin/cache/purge"+tt.query, "", nil) // the admin listener
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("purge %s: %d, want %d", tt.query, resp.StatusCode, tt.want)
		}
	}
	e.cluster.ResetCalls()
	status, _, raw := e.post(t, q, map[string]string{telemetry.TraceHeader: "1"})
	var resp struct {
		Extensions struct {
			Trace []planned `json:"trace"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || status != 200 {
		t.Fatal(status, err)
	}
	for _, c := range resp.Extensions.Trace {
		if !c.CacheHit && c.BatchSize != 1 {
			t.Errorf("after purging user 1: a call of %d keys, want only the purged one", c.BatchSize)
		}
	}
}

// TestPrivateDataNeverCrossesCallers signs in as several users and an admin and runs random
// operations on everyone's private fields through the shared cache: each answer must be exactly what
// that caller may see, whatever was cached before by whom.
func TestPrivateDataNeverCrossesCallers(t *testing.T) {
	e := newEnv(t, cached)
	privateDataNeverCrosses(t, e, e.server.URL)
}

// privateDataNeverCrosses runs TestPrivateDataNeverCrossesCallers's operations, each through one of
// the gateways at urls (instances of e's deployment) picked at random.
func privateDataNeverCrosses(t *testing.T, e *env, urls ...string) {
	rng := rand.New(rand.NewPCG(13, 13))
	users := []string{"1", "2", "3", "4"}
	const admin = "99"
	adminHdr := bearer(t, admin, "admin")
	hdrs := map[string]http.Header{admin: adminHdr}
	for _, u := range users {
		hdrs[u] = bearer(t, u)
	}
	const q = `query($id: ID!) { me { id } user(id: $id) { email orders(first: 100) { nodes { id } } } }`
	type answer struct {
		Me *struct {
			ID string `json:"id"`
		} `json:"me"`
		User struct {
			Email  *string `json:"email"`
			Orders *struct {
				Nodes []struct{ ID string } `json:"nodes"`
			} `json:"orders"`
		} `json:"user"`
	}
	const ops = 300
	for i := range ops {
		caller := users[rng.IntN(len(users))]
		if rng.IntN(5) == 0 {
			caller = admin
		}
		target := users[rng.IntN(len(users))]
		resp := e.queryAt(t, urls[rng.IntN(len(urls))], hdrs[caller], q, map[string]any{"id": target})
		var got answer
		resp.decode(t, &got)
		if got.Me == nil || got.Me.ID != globalID("User", caller) {
			t.Fatalf("op %d: me = %+v as %s", i, got.Me, caller)
		}
		u, _ := e.index.User(target)
		allowed := caller == target || caller == admin
		if !allowed {
			if got.User.Email != nil || got.User.Orders != nil || len(resp.Errors) == 0 {
				t.Fatalf("op %d: %s read %s's private data: %s", i, caller, target, resp.Raw)
			}
			continue
		}
		if got.User.Email == nil || *got.User.Email != u.Email || got.User.Orders == nil {
			t.Fatalf("op %d: %s asking for %s: %s", i, caller, target, resp.Raw)
		}
		var gotIDs, wantIDs []string
		for _, o := range got.User.Orders.Nodes {
			gotIDs = append(gotIDs, o.ID)
		}
		for _, o := range e.index.OrdersByBuyer(target) {
			wantIDs = append(wantIDs, globalID("Order", o.ID))
		}
		slices.Sort(gotIDs)
		slices.Sort(wantIDs)
		if !slices.Equal(gotIDs, wantIDs) {
			t.Fatalf("op %d: %s asking for %s: orders %v, want %v", i, caller, target, gotIDs, wantIDs)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "private, max-age=30" {
			t.Fatalf("op %d: Cache-Control %q, want private, max-age=30", i, cc)
		}
	}
}

// TestConcurrentColdQueriesShareCalls: concurrent identical reference queries on a cold cache cost
// each level's call once in all (single flight across requests), not once per query.
func TestConcurrentColdQueriesShareCalls(t *testing.T) {
	e := newEnv(t, cached, func(c *gateway.Config) {
		// A loaded test machine must neither time the calls out nor outlive stock's 5s: only the count of
		// calls matters here.
		c.Cache.Kinds = map[string]upstreams.KindConfig{upstreams.KindStockByUPC: {MaxAge: time.Hour}}
		c.Upstreams.Defaults.Timeout = 20 * time.Second
		for name, r := range c.Upstreams.REST {
			r.Timeout = 20 * time.Second
			c.Upstreams.REST[name] = r
		}
		for name, g := range c.Upstreams.GRPC {
			g.Timeout = 20 * time.Second
			c.Upstreams.GRPC[name] = g
		}
	})
	query := readFile(t, "reference.graphql")
	e.cluster.ResetCalls()
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, raw := e.post(t, query, nil)
			if status != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) {
				errs <- fmt.Sprintf("status %d: %.300s", status, raw)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	most := sum(usersBranchCalls, topBranchCalls) // one query's calls, each level once
	for svc, routes := range dataCalls(e.cluster.Calls()) {
		for route, got := range routes {
			if got > most[svc][route] {
				t.Errorf("%s %s: %d calls for %d concurrent queries, want at most %d (one query's)", svc, route, got, n, most[svc][route])
			}
		}
	}
}
