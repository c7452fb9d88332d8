package upstreams_test

import (
	"testing"
	"time"

	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/upstreams/calltrace"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// Every attempt, REST and gRPC, lands in the request's call trace with its upstream, route, instance
// and batch size, and a failed one with its code.
func TestCallsAreRecorded(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	rec := calltrace.NewRecorder(time.Now())
	ctx := calltrace.NewContext(testCtx(t), rec)

	if _, err := e.clients.Accounts.UsersByID(ctx, []string{"1", "2", "3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.clients.Inventory.StockByUPC(ctx, []string{"p1", "p2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.clients.Products.TopProducts(ctx, 3); err != nil {
		t.Fatal(err)
	}
	_, err := e.clients.Accounts.UsersByID(ctx, []string{""})
	calls := rec.Calls()
	if len(calls) != 4 {
		t.Fatalf("recorded %d calls, want 4: %+v", len(calls), calls)
	}
	want := []struct {
		upstream, route string
		batch           int
	}{
		{"accounts", "GET /users", 3},
		{"inventory", "/trellis.inventory.v1.InventoryService/GetStock", 2},
		{"products", "GET /products/top", 0},
		{"accounts", "GET /users", 1},
	}
	for i, w := range want {
		c := calls[i]
		if c.Upstream != w.upstream || c.BatchSize != w.batch || c.Attempt != 1 || c.Instance == "" || c.Start.IsZero() {
			t.Errorf("call %d = %+v, want upstream %s batch %d attempt 1 with instance and start", i, c, w.upstream, w.batch)
		}
		if i != 1 && c.Route != w.route {
			t.Errorf("call %d route = %q, want %q", i, c.Route, w.route)
		}
	}
	if got := calls[3].Code; (err == nil) != (got == "") || got != string(upstreamerr.CodeOf(err)) {
		t.Errorf("failed call code = %q, error %v", got, err)
	}
}
