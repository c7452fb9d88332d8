package upstreams_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/upstreams"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

func TestStockByUPC(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)

	got, err := e.clients.Inventory.StockByUPC(ctx, []string{"p4", "nope", "p1", "p4", "../p1"})
	if err != nil {
		t.Fatalf("StockByUPC: %v", err)
	}
	var want []upstreams.Stock
	for _, upc := range []string{"p4", "p1"} {
		s, _ := e.ix.Stock(upc)
		want = append(want, upstreams.Stock(s))
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("StockByUPC (-got +want):\n%s", diff)
	}
}

func TestOrdersByID(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)

	seeded := e.ix.Set.Orders
	ids := []string{seeded[3].ID, "nope", seeded[0].ID}
	got, err := e.clients.Orders.OrdersByID(ctx, ids)
	if err != nil {
		t.Fatalf("OrdersByID: %v", err)
	}
	want := []upstreams.Order{toOrder(seeded[3]), toOrder(seeded[0])}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("OrdersByID(%q) (-got +want):\n%s", ids, diff)
	}

	// Every status of the data set maps to its GraphQL name, and every time is RFC 3339 UTC.
	all := make([]string, len(seeded))
	for i, o := range seeded {
		all[i] = o.ID
	}
	got, err = e.clients.Orders.OrdersByID(ctx, all)
	if err != nil {
		t.Fatalf("OrdersByID(all): %v", err)
	}
	statuses := map[upstreams.OrderStatus]bool{}
	for _, o := range got {
		statuses[o.Status] = true
		ts, err := time.Parse(time.RFC3339, o.CreatedAt)
		if err != nil || ts.Location() != time.UTC || !strings.HasSuffix(o.CreatedAt, "Z") {
			t.Errorf("order %s CreatedAt %q is not RFC 3339 UTC: %v", o.ID, o.CreatedAt, err)
		}
	}
	wantStatuses := map[upstreams.OrderStatus]bool{
		upstreams.OrderStatusPending: true, upstreams.OrderStatusPaid: true, upstreams.OrderStatusShipped: true,
		upstreams.OrderStatusDelivered: true, upstreams.OrderStatusCancelled: true,
	}
	if diff := cmp.Diff(statuses, wantStatuses); diff != "" {
		t.Errorf("statuses seen (-got +want):\n%s", diff)
	}
}

func TestOrdersByBuyers(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)

	got, err := e.clients.Orders.OrdersByBuyers(ctx, []string{"2", "1", "nobody"})
	if err != nil {
		t.Fatalf("OrdersByBuyers: %v", err)
	}
	if len(got) != 3 || len(got["nobody"]) != 0 {
		t.Errorf("OrdersByBuyers has %d buyers (nobody: %v), want 3 with none for nobody", len(got), got["nobody"])
	}
	for _, buyer := range []string{"1", "2"} {
		var want []upstreams.Order
		for _, o := range e.ix.OrdersByBuyer(buyer) {
			want = append(want, toOrder(o))
		}
		if len(want) == 0 {
			t.Fatalf("buyer %s has no orders in the data set", buyer)
		}
		sortedByID := func(in []upstreams.Order) []upstreams.Order {
			out := slices.Clone(in)
			slices.SortFunc(out, func(a, b upstreams.Order) int { return strings.Compare(a.ID, b.ID) })
			return out
		}
		if diff := cmp.Diff(sortedByID(got[buyer]), sortedByID(want)); diff != "" {
			t.Errorf("orders of buyer %s (-got +want):\n%s", buyer, diff)
		}
		if !slices.IsSortedFunc(got[buyer], func(a, b upstreams.Order) int { return strings.Compare(b.CreatedAt, a.CreatedAt) }) {
			t.Errorf("orders of buyer %s are not newest first: %v", buyer, got[buyer])
		}
	}
}

func TestPlaceOrder(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)
	p1, _ := e.ix.Product("p1")
	p2, _ := e.ix.Product("p2")

	before := time.Now().UTC().Add(-time.Second)
	placed, err := e.clients.Orders.PlaceOrder(ctx, "3", []upstreams.NewOrderItem{{UPC: "p1", Quantity: 2}, {UPC: "p2", Quantity: 1}})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	want := upstreams.Order{
		ID: placed.ID, BuyerID: "3", Status: upstreams.OrderStatusPending, CreatedAt: placed.CreatedAt,
		Items: []upstreams.OrderItem{{UPC: "p1", Quantity: 2, UnitPrice: p1.Price}, {UPC: "p2", Quantity: 1, UnitPrice: p2.Price}},
		Total: 2*p1.Price + p2.Price,
	}
	if diff := cmp.Diff(placed, want); diff != "" {
		t.Errorf("PlaceOrder (-got +want):\n%s", diff)
	}
	if placed.ID == "" {
		t.Error("placed order has no id")
	}
	if ts, err := time.Parse(time.RFC3339, placed.CreatedAt); err != nil || ts.Before(before) || !strings.HasSuffix(placed.CreatedAt, "Z") {
		t.Errorf("CreatedAt %q is not a current RFC 3339 UTC time: %v", placed.CreatedAt, err)
	}

	found, err := e.clients.Orders.OrdersByID(ctx, []string{placed.ID})
	if err != nil || len(found) != 1 || !cmp.Equal(found[0], placed) {
		t.Errorf("OrdersByID(%s) = %v, %v; want the placed order", placed.ID, found, err)
	}
	byBuyer, err := e.clients.Orders.OrdersByBuyers(ctx, []string{"3"})
	if err != nil || len(byBuyer["3"]) == 0 || !cmp.Equal(byBuyer["3"][0], placed) {
		t.Errorf("OrdersByBuyers(3) = %v, %v; want the placed order first", byBuyer["3"], err)
	}

	tests := []struct {
		name        string
		buyer       string
		items       []upstreams.NewOrderItem
		wantMessage string // a part of the message
	}{
		{"zero quantity", "3", []upstreams.NewOrderItem{{UPC: "p1", Quantity: 0}}, "quantity"},
		{"negative quantity", "3", []upstreams.NewOrderItem{{UPC: "p1", Quantity: -1}}, "quantity"},
		{"quantity over the service limit", "3", []upstreams.NewOrderItem{{UPC: "p1", Quantity: 101}}, "quantity"},
		// 2^32+1 would wrap to 1 on the int32 wire field and place an order for one item.
		{"quantity wider than int32", "3", []upstreams.NewOrderItem{{UPC: "p1", Quantity: math.MaxUint32 + 2}}, "quantity"},
		{"quantity below int32", "3", []upstreams.NewOrderItem{{UPC: "p1", Quantity: math.MinInt32 - 1}}, "quantity"},
		{"unknown product", "3", []upstreams.NewOrderItem{{UPC: "nope", Quantity: 1}}, "upc"},
		{"no items", "3", nil, "items"},
		{"no buyer", "", []upstreams.NewOrderItem{{UPC: "p1", Quantity: 1}}, "buyer_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			_, err := e.clients.Orders.PlaceOrder(ctx, tt.buyer, tt.items)
			ue := wantBadInput(t, err, "")
			if ue != nil && !strings.Contains(ue.Message, tt.wantMessage) {
				t.Errorf("Message %q does not mention %q", ue.Message, tt.wantMessage)
			}
			if ue != nil && ue.Upstream != "orders" {
				t.Errorf("Upstream = %q, want orders", ue.Upstream)
			}
		})
	}
	after, err := e.clients.Orders.OrdersByBuyers(ctx, []string{"3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(after["3"]) != len(byBuyer["3"]) {
		t.Errorf("invalid orders were placed: buyer 3 has %d orders, want %d", len(after["3"]), len(byBuyer["3"]))
	}
}

// TestGRPCFaults checks the codes the typed clients fail with when a gRPC service misbehaves.
func TestGRPCFaults(t *testing.T) {
	e := startEnv(t, data.Config{}, func(c *upstreams.Config) {
		c.EditGRPC("inventory", func(g *upstreams.GRPCConfig) { g.Timeout = 50 * time.Millisecond })
	})
	ctx := testCtx(t)

	if err := e.cluster.SetFault(demo.Orders, 0, faultErrors()); err != nil {
		t.Fatal(err)
	}
	_, err := e.clients.Orders.OrdersByID(ctx, []string{"o1"})
	wantCode(t, err, upstreamerr.Unavailable, "orders")

	if err := e.cluster.SetFault(demo.Inventory, 0, faultLatency()); err != nil {
		t.Fatal(err)
	}
	_, err = e.clients.Inventory.StockByUPC(ctx, []string{"p1"})
	wantCode(t, err, upstreamerr.Timeout, "inventory")

	// Down: a fresh client, so that no 50 ms timeout races grpc-go's reconnection (a call made while
	// the channel reconnects waits for the outcome; refused, it fails as unavailable).
	down := startEnv(t, data.Config{}, nil)
	if err := down.cluster.SetFault(demo.Inventory, 0, faultDown()); err != nil {
		t.Fatal(err)
	}
	_, err = down.clients.Inventory.StockByUPC(ctx, []string{"p1"})
	wantCode(t, err, upstreamerr.Unavailable, "inventory")
}

func toOrder(o data.Order) upstreams.Order {
	out := upstreams.Order{
		ID: o.ID, BuyerID: o.BuyerID, Total: o.Total, Status: upstreams.OrderStatus(o.Status),
		CreatedAt: o.CreatedAt.UTC().Format(time.RFC3339),
	}
	for _, it := range o.Items {
		out.Items = append(out.Items, upstreams.OrderItem(it))
	}
	return out
}
