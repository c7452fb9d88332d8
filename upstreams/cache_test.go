package upstreams_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/internal/demoupstreams"
	"github.com/trellisgw/trellis/upstreams"
	"github.com/trellisgw/trellis/upstreams/calltrace"
)

type callerKey struct{}

// asCaller returns ctx signed in as caller (the private kinds' key).
func asCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

func callerOf(ctx context.Context) string { s, _ := ctx.Value(callerKey{}).(string); return s }

// startCachedEnv is startEnv with every kind cached for a minute, the orders kinds private.
func startCachedEnv(t *testing.T) *env {
	t.Helper()
	hints := map[string]upstreams.Hint{
		upstreams.KindOrdersByID:    {MaxAge: time.Minute, Private: true},
		upstreams.KindOrdersByBuyer: {MaxAge: time.Minute, Private: true},
	}
	cfg := upstreams.CacheConfig{Enabled: true, DefaultMaxAge: time.Minute}
	return startEnv(t, data.Config{}, nil, upstreams.WithCache(cfg, hints, callerOf))
}

// dataCallsOf is the calls per route of svc since the last reset, health checks left out.
func dataCallsOf(e *env, svc string) map[string]int {
	out := map[string]int{}
	for route, n := range e.cluster.Calls()[svc] {
		if n > 0 && !strings.Contains(route, "health") {
			out[route] = n
		}
	}
	return out
}

func TestEntityCacheSendsOnlyMisses(t *testing.T) {
	e := startCachedEnv(t)
	ctx := testCtx(t)
	e.cluster.ResetCalls()
	first, err := e.clients.Accounts.UsersByID(ctx, []string{"1", "2", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	rec := calltrace.NewRecorder(time.Now())
	second, err := e.clients.Accounts.UsersByID(calltrace.NewContext(ctx, rec), []string{"2", "3", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := dataCallsOf(e, demo.Accounts); !cmp.Equal(got, map[string]int{"GET /users": 2}) {
		t.Errorf("calls %v, want 2 (the second for the miss only)", got)
	}
	var sent, cached int
	for _, c := range rec.Calls() {
		if c.CacheHit {
			cached += c.BatchSize
		} else {
			sent += c.BatchSize
		}
	}
	if sent != 1 || cached != 2 {
		t.Errorf("second look-up sent %d keys and took %d from cache, want 1 and 2", sent, cached)
	}
	u1, _ := e.ix.User("1")
	u2, _ := e.ix.User("2")
	u3, _ := e.ix.User("3")
	if len(first) != 2 || len(second) != 3 || second[0].ID != "2" || second[1].ID != "3" || second[2].ID != "1" ||
		second[0].Username != u2.Username || second[1].Username != u3.Username || second[2].Username != u1.Username {
		t.Errorf("first %v, second %v", first, second)
	}
}

func TestEntityCacheEveryKind(t *testing.T) {
	e := startCachedEnv(t)
	ctx := asCaller(testCtx(t), "user:3")
	c := e.clients
	o1 := e.ix.Set.Orders[0]
	looks := []struct {
		svc  string
		call func() (int, error)
	}{
		{demo.Products, func() (int, error) { v, err := c.Products.ProductsByUPC(ctx, []string{"p1", "p2"}); return len(v), err }},
		{demo.Products, func() (int, error) { v, err := c.Products.TopProducts(ctx, 3); return len(v), err }},
		{demo.Products, func() (int, error) { v, err := c.Products.ListProducts(ctx, 2, 3); return len(v.Items), err }},
		{demo.Accounts, func() (int, error) { v, err := c.Accounts.ListUsers(ctx, 2, 3); return len(v.Items), err }},
		{demo.Inventory, func() (int, error) { v, err := c.Inventory.StockByUPC(ctx, []string{"p1", "p2"}); return len(v), err }},
		{demo.Reviews, func() (int, error) { v, err := c.Reviews.ByProducts(ctx, []string{"p1", "p2"}); return len(v), err }},
		{demo.Reviews, func() (int, error) { v, err := c.Reviews.ByAuthors(ctx, []string{"1", "2"}); return len(v), err }},
		{demo.Orders, func() (int, error) { v, err := c.Orders.OrdersByID(ctx, []string{o1.ID}); return len(v), err }},
		{demo.Orders, func() (int, error) { v, err := c.Orders.OrdersByBuyers(ctx, []string{o1.BuyerID}); return len(v), err }},
	}
	for i, l := range looks {
		e.cluster.ResetCalls()
		n1, err := l.call()
		if err != nil {
			t.Fatal(err)
		}
		n2, err := l.call()
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range dataCallsOf(e, l.svc) {
			total += n
		}
		if total != 1 || n1 != n2 || n1 == 0 {
			t.Errorf("look-up %d: %d calls (want 1), %d then %d results", i, total, n1, n2)
		}
	}
}

func TestEntityCachePrivateKindsPerCaller(t *testing.T) {
	e := startCachedEnv(t)
	ctx := testCtx(t)
	o1 := e.ix.Set.Orders[0]
	e.cluster.ResetCalls()
	for _, caller := range []string{"user:a", "user:b", "user:a", "user:b", "", ""} {
		if _, err := e.clients.Orders.OrdersByBuyers(asCaller(ctx, caller), []string{o1.BuyerID}); err != nil {
			t.Fatal(err)
		}
	}
	// a and b once each; the anonymous look-ups are never cached.
	if got := dataCallsOf(e, demo.Orders)["/trellis.orders.v1.OrderService/ListOrdersByBuyers"]; got != 4 {
		t.Errorf("%d calls, want 4", got)
	}
}

func TestWritesInvalidate(t *testing.T) {
	e := startCachedEnv(t)
	ctx := asCaller(testCtx(t), "user:3")
	c := e.clients
	if _, err := c.Reviews.ByProducts(ctx, []string{"p1"}); err != nil {
		t.Fatal(err)
	}
	before, err := c.Reviews.ByAuthors(ctx, []string{"3"})
	if err != nil {
		t.Fatal(err)
	}
	added, err := c.Reviews.Add(ctx, upstreams.NewReview{ProductUPC: "p1", AuthorID: "3", Body: "fresh", Rating: 4})
	if err != nil {
		t.Fatal(err)
	}
	byProduct, err := c.Reviews.ByProducts(ctx, []string{"p1"})
	if err != nil {
		t.Fatal(err)
	}
	byAuthor, err := c.Reviews.ByAuthors(ctx, []string{"3"})
	if err != nil {
		t.Fatal(err)
	}
	if byProduct[len(byProduct)-1].ID != added.ID || len(byAuthor) != len(before)+1 {
		t.Errorf("after Add: reviews of p1 %v, of author 3 %d (was %d); want the new review in both", byProduct, len(byAuthor), len(before))
	}

	ordersBefore, err := c.Orders.OrdersByBuyers(ctx, []string{"3"})
	if err != nil {
		t.Fatal(err)
	}
	stockBefore, err := c.Inventory.StockByUPC(ctx, []string{"p2"})
	if err != nil {
		t.Fatal(err)
	}
	placed, err := c.Orders.PlaceOrder(ctx, "3", []upstreams.NewOrderItem{{UPC: "p2", Quantity: 1}})
	if err != nil {
		t.Fatal(err)
	}
	e.cluster.ResetCalls()
	ordersAfter, err := c.Orders.OrdersByBuyers(ctx, []string{"3"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Inventory.StockByUPC(ctx, []string{"p2"}); err != nil {
		t.Fatal(err)
	}
	if len(ordersAfter["3"]) != len(ordersBefore["3"])+1 || ordersAfter["3"][0].ID != placed.ID {
		t.Errorf("after PlaceOrder: %d orders (was %d), first %v; want the placed one first", len(ordersAfter["3"]), len(ordersBefore["3"]), ordersAfter["3"])
	}
	if got := dataCallsOf(e, demo.Inventory)["/trellis.inventory.v1.InventoryService/GetStock"]; got != 1 || len(stockBefore) != 1 {
		t.Errorf("stock of an ordered product: %d calls after PlaceOrder, want 1 (invalidated)", got)
	}
}

func TestPurge(t *testing.T) {
	e := startCachedEnv(t)
	ctx := testCtx(t)
	c := e.clients
	load := func() {
		t.Helper()
		if _, err := c.Accounts.UsersByID(ctx, []string{"1", "2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Products.ProductsByUPC(ctx, []string{"p1"}); err != nil {
			t.Fatal(err)
		}
	}
	calls := func() map[string]int {
		return map[string]int{"accounts": dataCallsOf(e, demo.Accounts)["GET /users"], "products": dataCallsOf(e, demo.Products)["GET /products"]}
	}
	load()
	steps := []struct {
		kind string
		keys []string
		want map[string]int
	}{
		{upstreams.KindUsersByID, []string{"1"}, map[string]int{"accounts": 1, "products": 0}},
		{upstreams.KindProductsByUPC, nil, map[string]int{"accounts": 0, "products": 1}},
		{"", nil, map[string]int{"accounts": 1, "products": 1}},
	}
	for _, s := range steps {
		if err := c.Purge(ctx, s.kind, s.keys...); err != nil {
			t.Fatal(err)
		}
		e.cluster.ResetCalls()
		load()
		if diff := cmp.Diff(s.want, calls()); diff != "" {
			t.Errorf("after purging %q %v (-want +got):\n%s", s.kind, s.keys, diff)
		}
	}
	if err := c.Purge(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "unknown entity kind") {
		t.Errorf("Purge of an unknown kind: %v", err)
	}
}

func TestCacheConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     upstreams.CacheConfig
		wantErr []string
	}{
		{"defaults", upstreams.CacheConfig{}, nil},
		{"bad values", upstreams.CacheConfig{MaxEntries: -1, MaxBytes: -1, DefaultMaxAge: -time.Second, KeepStale: -time.Second,
			Kinds: map[string]upstreams.KindConfig{"users": {}, upstreams.KindUsersByID: {MaxAge: -1, Scope: "shared", StaleWhileRevalidate: -1}}},
			[]string{"max_entries: must be > 0", "max_bytes: must be > 0", "default_max_age: must be >= 0", "keep_stale: must be >= 0",
				"kinds.users: unknown kind", "kinds.users_by_id.stale_while_revalidate: must be >= 0", "kinds.users_by_id.max_age: must be >= 0", `kinds.users_by_id.scope: "shared" is not public or private`}},
		{"redis store without an address", upstreams.CacheConfig{Store: upstreams.CacheStoreRedis, Redis: cache.RedisConfig{DB: -1}},
			[]string{"redis.addr: required", "redis.db: must be >= 0"}},
		{"unknown store", upstreams.CacheConfig{Store: "disk"}, []string{`store: must be "memory" or "redis", got "disk"`}},
		{"memory ignores redis", upstreams.CacheConfig{Store: upstreams.CacheStoreMemory, Redis: cache.RedisConfig{DB: -1}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.WithDefaults().Validate()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if len(got) != len(tt.wantErr) {
				t.Fatalf("errors %q, want %q", got, tt.wantErr)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.wantErr[i]) {
					t.Errorf("error %d: %q, want prefix %q", i, got[i], tt.wantErr[i])
				}
			}
		})
	}
	c := upstreams.CacheConfig{Enabled: true, DefaultMaxAge: time.Second, Kinds: map[string]upstreams.KindConfig{
		upstreams.KindStockByUPC: {MaxAge: 3 * time.Second, Scope: "private"}, upstreams.KindUsersByID: {Disabled: true},
	}}.WithDefaults()
	policies := []struct {
		kind  string
		hint  upstreams.Hint
		ttl   time.Duration
		scope string
	}{
		{upstreams.KindProductsByUPC, upstreams.Hint{}, time.Second, "public"},                    // no hint: default
		{upstreams.KindProductsByUPC, upstreams.Hint{MaxAge: time.Minute}, time.Minute, "public"}, // the hint
		{upstreams.KindOrdersByID, upstreams.Hint{MaxAge: time.Minute, Private: true}, time.Minute, "private"},
		{upstreams.KindStockByUPC, upstreams.Hint{MaxAge: time.Minute}, 3 * time.Second, "private"}, // the override
		{upstreams.KindUsersByID, upstreams.Hint{MaxAge: time.Minute}, 0, "public"},                 // disabled
	}
	for _, p := range policies {
		got := c.Policy(p.kind, p.hint)
		if got.TTL != p.ttl || string(got.Scope) != p.scope {
			t.Errorf("Policy(%s, %+v) = %s %s, want %s %s", p.kind, p.hint, got.TTL, got.Scope, p.ttl, p.scope)
		}
	}
	c.Enabled = false
	if got := c.Policy(upstreams.KindProductsByUPC, upstreams.Hint{MaxAge: time.Minute}); got.TTL != 0 {
		t.Errorf("disabled cache: TTL %s, want 0", got.TTL)
	}
}

// TestUpstreamCacheControlWins: a REST service's own Cache-Control bounds what the entity cache keeps.
func TestUpstreamCacheControlWins(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := demo.Start(ctx, demo.Config{CacheControl: map[string]string{
		demo.Accounts: "no-store", demo.Products: "public, max-age=60", demo.Reviews: "private, max-age=60",
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	var cfg upstreams.Config
	demoupstreams.Point(&cfg, cl)
	clients, err := upstreams.New(cfg, upstreams.WithCache(upstreams.CacheConfig{Enabled: true, DefaultMaxAge: time.Hour}, nil, callerOf))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = clients.Close() })
	for range 2 {
		if _, err := clients.Accounts.UsersByID(ctx, []string{"1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := clients.Products.ProductsByUPC(ctx, []string{"p1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := clients.Reviews.ByProducts(ctx, []string{"p1"}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{}
	for svc, routes := range cl.Calls() {
		for route, n := range routes {
			if !strings.Contains(route, "health") {
				got[svc] += n
			}
		}
	}
	// accounts: no-store; products: cached; reviews: a private answer is never shared.
	want := map[string]int{demo.Accounts: 2, demo.Products: 1, demo.Reviews: 2}
	for svc, n := range want {
		if got[svc] != n {
			t.Errorf("%s: %d calls, want %d", svc, got[svc], n)
		}
	}
}
