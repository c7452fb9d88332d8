package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trellisgw/trellis/bench/floor"
	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/internal/demoupstreams"
)

// TestWorkloadSeededAndSkewed: the cached scenario's sequence is the same for the same seed and sizes
// (so runs and sides compare), another for another seed, mixes the three shapes in their shares, and
// is skewed: the most popular product gets many times a uniform share, yet the tail is visited.
func TestWorkloadSeededAndSkewed(t *testing.T) {
	w := workload{Seed: 1, Requests: 5000, Users: 500, Products: 200, ZipfS: 1.1}
	a, err := w.bodies()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := w.bodies()
	if !slices.EqualFunc(a, b, bytes.Equal) {
		t.Fatal("the same seed gave two sequences")
	}
	w2 := w
	w2.Seed = 2
	if c, _ := w2.bodies(); slices.EqualFunc(a, c, bytes.Equal) {
		t.Fatal("another seed gave the same sequence")
	}
	shapes := map[string]int{}
	products, users := map[string]int{}, map[string]int{}
	for _, body := range a {
		var req struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		shapes[req.Query]++
		switch req.Query {
		case floor.ProductPageQuery:
			products[req.Variables["upc"].(string)]++
		case floor.UserProfileQuery:
			users[req.Variables["id"].(string)]++
		case floor.TopProductsQuery:
		default:
			t.Fatalf("unknown query %q", req.Query)
		}
	}
	for q, want := range map[string]int{floor.ProductPageQuery: shareProductPage, floor.UserProfileQuery: shareUserProfile,
		floor.TopProductsQuery: 100 - shareProductPage - shareUserProfile} {
		if got := 100 * shapes[q] / len(a); got < want-4 || got > want+4 {
			t.Errorf("%.30s…: %d%% of the requests, want about %d%%", q, got, want)
		}
	}
	for kind, seen := range map[string]struct {
		counts map[string]int
		keys   int
	}{"products": {products, w.Products}, "users": {users, w.Users}} {
		total, top := 0, 0
		for _, n := range seen.counts {
			total += n
			top = max(top, n)
		}
		uniform := float64(total) / float64(seen.keys)
		if float64(top) < 10*uniform || len(seen.counts) < seen.keys/5 {
			t.Errorf("%s: the most popular drawn %d times (uniform %.1f), %d distinct of %d: not Zipf-skewed with a tail",
				kind, top, uniform, len(seen.counts), seen.keys)
		}
	}
	for _, bad := range []workload{{Seed: 1, Requests: 0, Users: 1, Products: 1, ZipfS: 1.1},
		{Seed: 1, Requests: 1, Users: 1, Products: 1, ZipfS: 1}} {
		if _, err := bad.bodies(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestCachedScenarioAgrees runs the cached scenario's machinery against the real sample services,
// in process, with wrk replaced by a Go driver: the three sides (the gateway with the entity cache on,
// the same gateway with it off, the floor) assembled as `bench gateway -cache`, `bench gateway` and
// `bench floor` do, answers compared for every distinct request of the sequence (twice per side, the
// cached side's second answer from its cache), then the whole sequence sent to each side. The
// uncached sides make exactly the same upstream calls; the cached side fewer, and the keys it asked
// (from its cache or upstream) are exactly those the uncached gateway asked upstream.
func TestCachedScenarioAgrees(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dcfg := data.Config{Seed: 1, Users: 150, Products: 60, ReviewsPerUser: 2, OrdersPerUser: 1, TopProducts: 20}
	cluster, err := demo.Start(ctx, demo.Config{Data: dcfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Close() })
	cfg := gateway.DefaultConfig()
	demoupstreams.Point(&cfg.Upstreams, cluster)

	sides := make([]namedURL, len(cachedSides))
	counters := map[string]*stats{}
	for i, name := range cachedSides {
		c, role := cfg, sideFloor
		if name != sideFloor {
			role = "gateway"
		}
		c.Cache.Enabled = name == sideCached
		st := &stats{}
		h, release, err := sideHandler(role, c, st)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(st.wrap(h))
		t.Cleanup(func() { srv.Close(); release() })
		sides[i], counters[name] = namedURL{name, srv.URL}, st
	}

	w := workload{Seed: 7, Requests: 1500, Users: dcfg.Users, Products: dcfg.Products, ZipfS: 1.1}
	bodies, err := w.bodies()
	if err != nil {
		t.Fatal(err)
	}
	uniq, _ := distinct(bodies)
	size, err := checkAnswers(ctx, sides, bodies, len(uniq), true)
	if err != nil {
		t.Fatalf("answers disagree: %v", err)
	}
	if size <= 0 {
		t.Fatalf("mean response size %v", size)
	}

	res := scenarioResult{Name: "cached", SideNames: cachedSides, Ratios: ratioRows(cachedRatios), CallsFromRuns: true,
		CallsPerOp: map[string]float64{}, Workload: &w}
	calls := map[string]int64{}
	for _, s := range sides {
		before := counters[s.name].report()
		cluster.ResetCalls()
		var g errgroup.Group
		g.SetLimit(16)
		for _, body := range bodies {
			g.Go(func() error {
				_, err := sample(ctx, s.url, body)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		calls[s.name] = clusterCalls(cluster)
		after := counters[s.name].report()
		res.Runs = append(res.Runs, runResult{Side: s.name, Round: 1, Served: after.Served - before.Served,
			UpstreamCalls: calls[s.name], CacheKeys: after.CacheKeys - before.CacheKeys,
			UpstreamKeys: after.UpstreamKeys - before.UpstreamKeys, Wrk: wrkResult{Requests: int64(len(bodies)), DurationUS: 1e6}})
	}
	if calls[sideGateway] != calls[sideFloor] || calls[sideGateway] == 0 {
		t.Errorf("upstream calls: gateway %d, floor %d: the uncached sides should make the same", calls[sideGateway], calls[sideFloor])
	}
	if calls[sideCached] >= calls[sideGateway] {
		t.Errorf("upstream calls: cached %d, uncached %d", calls[sideCached], calls[sideGateway])
	}
	cr, ur := res.Runs[0], res.Runs[1]
	if cr.CacheKeys == 0 || ur.CacheKeys != 0 || cr.CacheKeys+cr.UpstreamKeys != ur.UpstreamKeys {
		t.Errorf("keys: cached side %d from cache + %d upstream, uncached side %d from cache + %d upstream",
			cr.CacheKeys, cr.UpstreamKeys, ur.CacheKeys, ur.UpstreamKeys)
	}

	res.summarise()
	c, u, f := res.Sides[sideCached], res.Sides[sideGateway], res.Sides[sideFloor]
	if want := float64(calls[sideCached]) / float64(len(bodies)); c.CallsPerOp != want {
		t.Errorf("cached calls/op %v, want %v", c.CallsPerOp, want)
	}
	if c.HitRatio <= 0 || c.HitRatio > 1 || u.HitRatio != 0 || f.HitRatio != -1 {
		t.Errorf("hit ratios: cached %v, uncached %v, floor %v", c.HitRatio, u.HitRatio, f.HitRatio)
	}
	md := report{Scenarios: []scenarioResult{res}}.markdown()
	for _, want := range []string{"| gateway-cached |", "| floor (uncached) |", "**cached/uncached**", "**cached/floor (uncached)**", "The floor, which has no cache"} {
		if !strings.Contains(strings.ToLower(md), strings.ToLower(want)) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	t.Logf("calls: %v; hit ratio %.3f; calls/op cached %.3f, uncached %.3f", calls, c.HitRatio, c.CallsPerOp, u.CallsPerOp)
}

// clusterCalls sums the data calls the sample services counted, health checks left out.
func clusterCalls(c *demo.Cluster) int64 {
	var n int64
	for _, routes := range c.Calls() {
		for route, k := range routes {
			if !strings.Contains(strings.ToLower(route), "health") {
				n += int64(k)
			}
		}
	}
	return n
}
