package upstreams_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/faults"
	ordersv1 "github.com/trellisgw/trellis/proto/orders/v1"
	"github.com/trellisgw/trellis/upstreams"
	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// The traffic tests run real sample-service replicas on loopback and inject faults through the
// cluster; every assertion is a share or a count, never a time.

const routeUsers = "GET /users"

// startReplicas starts n replicas of every sample service and clients over all of them; tweak
// adjusts the clients' config.
func startReplicas(t *testing.T, n int, tweak func(*upstreams.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := demo.Start(ctx, demo.Config{Replicas: n})
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	urls := func(svc string) []string {
		var out []string
		for _, a := range cl.Addrs(svc) {
			out = append(out, "http://"+a)
		}
		return out
	}
	cfg := upstreams.Config{
		REST: map[string]upstreams.RESTConfig{
			demo.Accounts: {URLs: urls(demo.Accounts)},
			demo.Products: {URLs: urls(demo.Products)},
			demo.Reviews:  {URLs: urls(demo.Reviews)},
		},
		GRPC: map[string]upstreams.GRPCConfig{
			demo.Inventory: {Targets: cl.Addrs(demo.Inventory)},
			demo.Orders:    {Targets: cl.Addrs(demo.Orders)},
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	clients, err := upstreams.New(cfg)
	if err != nil {
		t.Fatalf("upstreams.New: %v", err)
	}
	t.Cleanup(func() {
		if err := clients.Close(); err != nil {
			t.Errorf("Clients.Close: %v", err)
		}
	})
	return &env{cluster: cl, clients: clients, ix: data.NewIndex(data.Generate(data.Config{}))}
}

// load runs calls read calls from workers goroutines and returns the errors, in no order.
func load(ctx context.Context, workers, calls int, call func(ctx context.Context, i int) error) []error {
	var (
		mu   sync.Mutex
		errs []error
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= calls || ctx.Err() != nil {
					return
				}
				if err := call(ctx, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// usersCall is one batch look-up of three users.
func (e *env) usersCall(ctx context.Context, _ int) error {
	_, err := e.clients.Accounts.UsersByID(ctx, []string{"1", "2", "3"})
	return err
}

// shares returns each accounts instance's GET /users calls and their total.
func shares(e *env, svc, route string) ([]int, int) {
	var per []int
	total := 0
	for _, calls := range e.cluster.InstanceCalls(svc) {
		per = append(per, calls[route])
		total += calls[route]
	}
	return per, total
}

func TestFailingReplicaIsEjected(t *testing.T) {
	e := startReplicas(t, 3, func(c *upstreams.Config) {
		c.EditREST("accounts", func(r *upstreams.RESTConfig) {
			r.Traffic.Balancer.Outlier = balancer.OutlierConfig{ConsecutiveFailures: 3, BaseEjectionTime: time.Minute}
		})
		c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.HealthCheck.Interval = time.Hour }) // passive ejection alone
	})
	if err := e.cluster.SetFault(demo.Accounts, 1, faultErrors()); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	// Warm-up: the failing replica fails three attempts in a row and is ejected; retries on the
	// others hide its failures. The balancer sends the failing replica less and less traffic, so how
	// many calls that takes varies: up to ten waves of 60.
	ejected := false
	for wave := 0; wave < 10 && !ejected; wave++ {
		if errs := load(ctx, 4, 60, e.usersCall); len(errs) != 0 {
			t.Errorf("warm-up: %d client-visible errors, first %v", len(errs), errs[0])
		}
		for _, in := range e.clients.Pools()[demo.Accounts].Instances() {
			if in.Addr() == e.cluster.Addrs(demo.Accounts)[1] {
				ejected = in.Ejected(time.Now())
			}
		}
	}
	if !ejected {
		t.Fatal("the failing replica was not ejected after 600 calls")
	}
	e.cluster.ResetCalls()
	if errs := load(ctx, 4, 300, e.usersCall); len(errs) != 0 {
		t.Errorf("after ejection: %d client-visible errors, first %v", len(errs), errs[0])
	}
	per, total := shares(e, demo.Accounts, routeUsers)
	t.Logf("after ejection: calls per replica %v", per)
	if share := float64(per[1]) / float64(total); share >= 0.05 {
		t.Errorf("ejected replica got %.1f%% of %d calls (%v), want < 5%%", share*100, total, per)
	}
	if n := sumCounter(t, "trellis.upstream.ejections", "upstream", "accounts"); n < 1 {
		t.Errorf("trellis.upstream.ejections{upstream=accounts} = %d, want >= 1", n)
	}
	if n := sumCounter(t, "trellis.upstream.retries", "upstream", "accounts"); n < 1 {
		t.Errorf("trellis.upstream.retries{upstream=accounts} = %d, want >= 1", n)
	}
}

func TestSlowReplicaShares(t *testing.T) {
	const calls = 150
	measure := func(policy string) float64 {
		e := startReplicas(t, 3, func(c *upstreams.Config) {
			c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.Traffic.Balancer.Policy = policy })
		})
		if err := e.cluster.SetFault(demo.Accounts, 0, faults.Fault{Latency: 200 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		if errs := load(testCtx(t), 4, calls, e.usersCall); len(errs) != 0 {
			t.Fatalf("%s: %d errors, first %v", policy, len(errs), errs[0])
		}
		per, total := shares(e, demo.Accounts, routeUsers)
		t.Logf("%s: calls per replica %v", policy, per)
		return float64(per[0]) / float64(total)
	}
	ewma, rr := measure(balancer.PeakEWMA), measure(balancer.RoundRobin)
	if ewma >= 0.10 {
		t.Errorf("peak_ewma sent %.1f%% to the slow replica, want < 10%%", ewma*100)
	}
	if rr < 0.25 || rr > 0.42 {
		t.Errorf("round_robin sent %.1f%% to the slow replica, want about a third", rr*100)
	}
}

func TestRestartedReplicaGetsTrafficAgain(t *testing.T) {
	e := startReplicas(t, 3, func(c *upstreams.Config) {
		c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.HealthCheck.Interval = 20 * time.Millisecond })
		c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.HealthCheck.HealthyThreshold = 1 })
		c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.HealthCheck.UnhealthyThreshold = 1 })
		c.EditREST("accounts", func(r *upstreams.RESTConfig) {
			r.Traffic.Balancer.Outlier = balancer.OutlierConfig{ConsecutiveFailures: 2, BaseEjectionTime: 100 * time.Millisecond}
		})
	})
	ctx, cancel := context.WithCancel(testCtx(t))
	var clientErrs atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_ = load(ctx, 2, 20, func(ctx context.Context, i int) error {
				if err := e.usersCall(ctx, i); err != nil && ctx.Err() == nil {
					clientErrs.Add(1)
				}
				return nil
			})
		}
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, "replica 2 serves", func() bool { per, _ := shares(e, demo.Accounts, routeUsers); return per[2] > 0 })
	if err := e.cluster.SetFault(demo.Accounts, 2, faultDown()); err != nil {
		t.Fatal(err)
	}
	addr := e.cluster.Addrs(demo.Accounts)[2]
	waitFor(t, "replica 2 marked unhealthy", func() bool { return !instance(t, e, demo.Accounts, addr).Healthy() })
	if err := e.cluster.SetFault(demo.Accounts, 2, faults.Fault{}); err != nil {
		t.Fatal(err)
	}
	e.cluster.ResetCalls()
	waitFor(t, "replica 2 serves again", func() bool { per, _ := shares(e, demo.Accounts, routeUsers); return per[2] > 0 })
	t.Logf("client-visible errors while it was down: %d", clientErrs.Load())
}

func TestBreakerOpensAndCloses(t *testing.T) {
	e := startReplicas(t, 2, func(c *upstreams.Config) {
		c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.Traffic.Resilience.Retry.Attempts = 1 })
		c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.Traffic.Resilience.Breaker.MinRequests = 10 })
		c.EditREST("accounts", func(r *upstreams.RESTConfig) { r.Traffic.Resilience.Breaker.OpenTime = 200 * time.Millisecond })
	})
	if err := e.cluster.SetFault(demo.Accounts, -1, faultErrors()); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	_ = load(ctx, 1, 10, e.usersCall)
	e.cluster.ResetCalls()
	errs := load(ctx, 2, 50, e.usersCall)
	if len(errs) != 50 {
		t.Fatalf("%d of 50 calls failed while the upstream is down, want all", len(errs))
	}
	for _, err := range errs {
		if upstreamerr.CodeOf(err) != upstreamerr.Unavailable {
			t.Fatalf("open breaker: code %q (%v), want UPSTREAM_UNAVAILABLE", upstreamerr.CodeOf(err), err)
		}
	}
	if _, total := shares(e, demo.Accounts, routeUsers); total > 2 {
		t.Errorf("instances saw %d calls while the breaker was open, want none (at most a half-open probe)", total)
	}
	if err := e.cluster.SetFault(demo.Accounts, -1, faults.Fault{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "breaker closes after recovery", func() bool { return e.usersCall(ctx, 0) == nil })
	if errs := load(ctx, 2, 20, e.usersCall); len(errs) != 0 {
		t.Errorf("after recovery: %d errors, first %v", len(errs), errs[0])
	}
}

func TestRetryBudgetBoundsAttempts(t *testing.T) {
	const calls = 200
	ratio, floor := 0.2, 0.0
	e := startReplicas(t, 3, func(c *upstreams.Config) {
		c.EditREST("accounts", func(a *upstreams.RESTConfig) {
			r := &a.Traffic.Resilience
			r.Retry.BudgetRatio, r.Retry.BudgetMinPerSecond = &ratio, &floor
			r.Retry.BackoffBase, r.Retry.BackoffMax = time.Millisecond, time.Millisecond
			r.Breaker.MinRequests = 1 << 30 // the budget alone
			a.HealthCheck.Interval = time.Hour
		})
	})
	if err := e.cluster.SetFault(demo.Accounts, -1, faultErrors()); err != nil {
		t.Fatal(err)
	}
	errs := load(testCtx(t), 4, calls, e.usersCall)
	if len(errs) != calls {
		t.Errorf("%d of %d calls failed, want all", len(errs), calls)
	}
	_, attempts := shares(e, demo.Accounts, routeUsers)
	t.Logf("%d attempts for %d calls", attempts, calls)
	if limit := int((1 + ratio) * calls); attempts > limit || attempts <= calls {
		t.Errorf("%d attempts for %d calls, want more than %d (some retries) and at most %d", attempts, calls, calls, limit)
	}
}

func TestMutationsAreNeverRetried(t *testing.T) {
	e := startReplicas(t, 3, nil)
	ctx := testCtx(t)
	// Connect to every orders instance first: a fault set later fails the calls but not the health
	// Watch streams already open, so the instances stay in rotation.
	waitReady(t, e, demo.Orders, func() { _, _ = e.clients.Orders.OrdersByID(ctx, []string{"o1"}) })
	for _, svc := range []string{demo.Reviews, demo.Orders} {
		if err := e.cluster.SetFault(svc, -1, faultErrors()); err != nil {
			t.Fatal(err)
		}
	}
	e.cluster.ResetCalls()
	_, err := e.clients.Reviews.Add(ctx, upstreams.NewReview{ProductUPC: "p1", AuthorID: "1", Body: "ok", Rating: 5})
	if upstreamerr.CodeOf(err) != upstreamerr.Unavailable {
		t.Errorf("Add: %v, want UPSTREAM_UNAVAILABLE", err)
	}
	_, err = e.clients.Orders.PlaceOrder(ctx, "1", []upstreams.NewOrderItem{{UPC: "p1", Quantity: 1}})
	if upstreamerr.CodeOf(err) != upstreamerr.Unavailable {
		t.Errorf("PlaceOrder: %v, want UPSTREAM_UNAVAILABLE", err)
	}
	if _, n := shares(e, demo.Reviews, "POST /reviews"); n != 1 {
		t.Errorf("POST /reviews reached instances %d times, want 1", n)
	}
	if _, n := shares(e, demo.Orders, ordersv1.OrderService_PlaceOrder_FullMethodName); n != 1 {
		t.Errorf("PlaceOrder reached instances %d times, want 1", n)
	}
	// A read of the same upstream is retried on another instance.
	if _, err := e.clients.Orders.OrdersByID(ctx, []string{"o1"}); err == nil {
		t.Error("GetOrders succeeded with every instance failing")
	}
	if _, n := shares(e, demo.Orders, ordersv1.OrderService_GetOrders_FullMethodName); n != 3 {
		t.Errorf("GetOrders reached instances %d times, want 3 (retried)", n)
	}
}

func TestGRPCBalancesOverReplicas(t *testing.T) {
	e := startReplicas(t, 3, func(c *upstreams.Config) {
		c.EditGRPC("inventory", func(g *upstreams.GRPCConfig) { g.Traffic.Balancer.Policy = balancer.RoundRobin })
	})
	ctx := testCtx(t)
	waitReady(t, e, demo.Inventory, func() { _, _ = e.clients.Inventory.StockByUPC(ctx, []string{"p1"}) })
	e.cluster.ResetCalls()
	errs := load(ctx, 3, 90, func(ctx context.Context, _ int) error {
		_, err := e.clients.Inventory.StockByUPC(ctx, []string{"p1", "p2"})
		return err
	})
	if len(errs) != 0 {
		t.Fatalf("%d errors, first %v", len(errs), errs[0])
	}
	per, total := shares(e, demo.Inventory, "/trellis.inventory.v1.InventoryService/GetStock")
	for _, in := range e.clients.Pools()[demo.Inventory].Instances() {
		t.Logf("%s healthy %v ejected %v", in.Addr(), in.Healthy(), in.Ejected(time.Now()))
	}
	for i, n := range per {
		if share := float64(n) / float64(total); share < 0.25 || share > 0.42 {
			t.Errorf("instance %d got %.1f%% of GetStock (%v), want about a third", i, share*100, per)
		}
	}
}

func TestGRPCFailingReplicaIsEjected(t *testing.T) {
	e := startReplicas(t, 3, func(c *upstreams.Config) {
		c.EditGRPC("orders", func(g *upstreams.GRPCConfig) {
			g.Traffic.Balancer.Outlier = balancer.OutlierConfig{ConsecutiveFailures: 3, BaseEjectionTime: time.Minute}
		})
	})
	if err := e.cluster.SetFault(demo.Orders, 0, faultErrors()); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	call := func(ctx context.Context, _ int) error {
		_, err := e.clients.Orders.OrdersByID(ctx, []string{"o1"})
		return err
	}
	_ = load(ctx, 3, 60, call)
	e.cluster.ResetCalls()
	if errs := load(ctx, 3, 200, call); len(errs) != 0 {
		t.Errorf("after ejection: %d errors, first %v", len(errs), errs[0])
	}
	per, total := shares(e, demo.Orders, ordersv1.OrderService_GetOrders_FullMethodName)
	if share := float64(per[0]) / float64(total); share >= 0.05 {
		t.Errorf("failing replica got %.1f%% of %d calls (%v), want < 5%%", share*100, total, per)
	}
}

// waitReady calls call until every instance of the gRPC upstream svc is connected and SERVING.
func waitReady(t *testing.T, e *env, svc string, call func()) {
	t.Helper()
	waitFor(t, "all "+svc+" instances ready", func() bool {
		insts := e.clients.Pools()[svc].Instances()
		for _, in := range insts {
			if !in.Healthy() {
				call()
				return false
			}
		}
		call()
		return len(insts) == len(e.cluster.Addrs(svc))
	})
}

// instance returns the pool instance of svc at addr.
func instance(t *testing.T, e *env, svc, addr string) *balancer.Instance {
	t.Helper()
	for _, in := range e.clients.Pools()[svc].Instances() {
		if in.Addr() == addr {
			return in
		}
	}
	t.Fatalf("%s has no instance %s", svc, addr)
	return nil
}

// waitFor polls cond until it holds, failing the test after a generous bound (a liveness bound,
// not a speed assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sumCounter sums the Int64 counter name over the data points whose attribute key is value.
func sumCounter(t *testing.T, name, key, value string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || m.Name != name {
				continue
			}
			for _, dp := range sum.DataPoints {
				if v, ok := dp.Attributes.Value(attribute.Key(key)); ok && v.AsString() == value {
					total += dp.Value
				}
			}
		}
	}
	return total
}
