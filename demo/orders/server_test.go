package orders

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/trellisgw/trellis/demo/data"
	ordersv1 "github.com/trellisgw/trellis/proto/orders/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fixedNow = time.Date(2027, time.March, 4, 5, 6, 7, 0, time.UTC)

// newClient serves srv on a loopback port and returns a client connected to it.
func newClient(t *testing.T, srv *Server) ordersv1.OrderServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	gs := grpc.NewServer()
	ordersv1.RegisterOrderServiceServer(gs, srv)
	done := make(chan struct{})
	go func() { defer close(done); _ = gs.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		gs.Stop()
		<-done
	})
	return ordersv1.NewOrderServiceClient(conn)
}

func setup(t *testing.T) (*data.Index, ordersv1.OrderServiceClient) {
	t.Helper()
	ix := data.NewIndex(data.Generate(data.DefaultConfig()))
	return ix, newClient(t, NewServer(ix, WithClock(func() time.Time { return fixedNow })))
}

func ids(orders []*ordersv1.Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		out[i] = o.GetId()
	}
	return out
}

func wantStatus(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code || !strings.Contains(st.Message(), msg) {
		t.Fatalf("error = %v, want code %v with message containing %q", err, code, msg)
	}
}

func TestGetOrders(t *testing.T) {
	ix, c := setup(t)
	tooMany := slices.Repeat([]string{"o1"}, MaxIDs+1)
	tests := []struct {
		name     string
		ids      []string
		want     []string
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "request order kept", ids: []string{"o7", "o1", "o3"}, want: []string{"o7", "o1", "o3"}},
		{name: "duplicates collapsed", ids: []string{"o2", "o2", "o1", "o2"}, want: []string{"o2", "o1"}},
		{name: "unknown left out", ids: []string{"x", "o5", "o99999"}, want: []string{"o5"}},
		{name: "max allowed", ids: tooMany[:MaxIDs], want: []string{"o1"}},
		{name: "none", wantCode: codes.InvalidArgument, wantMsg: "ids must not be empty"},
		{name: "too many", ids: tooMany, wantCode: codes.InvalidArgument, wantMsg: "ids must have at most 500"},
		{name: "empty id", ids: []string{"o1", "o2", ""}, wantCode: codes.InvalidArgument, wantMsg: "ids[2] must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.GetOrders(context.Background(), &ordersv1.GetOrdersRequest{Ids: tt.ids})
			if tt.wantCode != codes.OK {
				wantStatus(t, err, tt.wantCode, tt.wantMsg)
				return
			}
			if err != nil {
				t.Fatalf("GetOrders: %v", err)
			}
			if diff := cmp.Diff(ids(resp.GetOrders()), tt.want); diff != "" {
				t.Errorf("ids (-got +want):\n%s", diff)
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		resp, err := c.GetOrders(context.Background(), &ordersv1.GetOrdersRequest{Ids: []string{"o4"}})
		if err != nil {
			t.Fatalf("GetOrders: %v", err)
		}
		got, want := resp.GetOrders()[0], mustOrder(t, ix, "o4")
		if got.GetBuyerId() != want.BuyerID || got.GetTotal() != int64(want.Total) ||
			got.GetStatus().String() != "ORDER_STATUS_"+want.Status || !got.GetCreatedAt().AsTime().Equal(want.CreatedAt) ||
			len(got.GetItems()) != len(want.Items) {
			t.Errorf("got %v, want %+v", got, want)
		}
	})
}

func mustOrder(t *testing.T, ix *data.Index, id string) data.Order {
	t.Helper()
	o, ok := ix.Order(id)
	if !ok {
		t.Fatalf("order %s not in the data set", id)
	}
	return o
}

func TestListOrdersByBuyers(t *testing.T) {
	ix, c := setup(t)
	newest := func(buyer string) []string {
		os := ix.OrdersByBuyer(buyer)
		slices.SortFunc(os, func(a, b data.Order) int { return b.CreatedAt.Compare(a.CreatedAt) })
		out := make([]string, len(os))
		for i, o := range os {
			out[i] = o.ID
		}
		return out
	}
	tests := []struct {
		name     string
		buyers   []string
		want     map[string][]string
		order    []string
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "two buyers", buyers: []string{"3", "1"}, order: []string{"3", "1"},
			want: map[string][]string{"3": newest("3"), "1": newest("1")}},
		{name: "duplicates collapsed and unknown empty", buyers: []string{"2", "nobody", "2"}, order: []string{"2", "nobody"},
			want: map[string][]string{"2": newest("2"), "nobody": {}}},
		{name: "none", wantCode: codes.InvalidArgument, wantMsg: "buyer_ids must not be empty"},
		{name: "empty id", buyers: []string{""}, wantCode: codes.InvalidArgument, wantMsg: "buyer_ids[0] must not be empty"},
		{name: "too many", buyers: slices.Repeat([]string{"1"}, MaxIDs+1), wantCode: codes.InvalidArgument, wantMsg: "buyer_ids must have at most 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.ListOrdersByBuyers(context.Background(), &ordersv1.ListOrdersByBuyersRequest{BuyerIds: tt.buyers})
			if tt.wantCode != codes.OK {
				wantStatus(t, err, tt.wantCode, tt.wantMsg)
				return
			}
			if err != nil {
				t.Fatalf("ListOrdersByBuyers: %v", err)
			}
			var order []string
			got := map[string][]string{}
			for _, b := range resp.GetBuyers() {
				order = append(order, b.GetBuyerId())
				got[b.GetBuyerId()] = ids(b.GetOrders())
				if got[b.GetBuyerId()] == nil {
					got[b.GetBuyerId()] = []string{}
				}
			}
			if diff := cmp.Diff(order, tt.order); diff != "" {
				t.Errorf("buyer order (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("orders (-got +want):\n%s", diff)
			}
		})
	}
}

func TestPlaceOrder(t *testing.T) {
	ix, c := setup(t)
	p1, _ := ix.Product("p1")
	p2, _ := ix.Product("p2")
	item := func(upc string, q int32) *ordersv1.PlaceOrderItem {
		return &ordersv1.PlaceOrderItem{Upc: upc, Quantity: q}
	}
	tests := []struct {
		name    string
		req     *ordersv1.PlaceOrderRequest
		wantMsg string
	}{
		{name: "no buyer", req: &ordersv1.PlaceOrderRequest{Items: []*ordersv1.PlaceOrderItem{item("p1", 1)}}, wantMsg: "buyer_id must not be empty"},
		{name: "no items", req: &ordersv1.PlaceOrderRequest{BuyerId: "1"}, wantMsg: "items must have between 1 and 50 entries"},
		{name: "too many items", req: &ordersv1.PlaceOrderRequest{BuyerId: "1", Items: slices.Repeat([]*ordersv1.PlaceOrderItem{item("p1", 1)}, 51)},
			wantMsg: "items must have between 1 and 50 entries"},
		{name: "quantity zero", req: &ordersv1.PlaceOrderRequest{BuyerId: "1", Items: []*ordersv1.PlaceOrderItem{item("p1", 1), item("p2", 0)}},
			wantMsg: "items[1].quantity must be between 1 and 100"},
		{name: "quantity too big", req: &ordersv1.PlaceOrderRequest{BuyerId: "1", Items: []*ordersv1.PlaceOrderItem{item("p1", 101)}},
			wantMsg: "items[0].quantity must be between 1 and 100"},
		{name: "negative quantity", req: &ordersv1.PlaceOrderRequest{BuyerId: "1", Items: []*ordersv1.PlaceOrderItem{item("p1", -1)}},
			wantMsg: "items[0].quantity must be between 1 and 100"},
		{name: "unknown upc", req: &ordersv1.PlaceOrderRequest{BuyerId: "1", Items: []*ordersv1.PlaceOrderItem{item("p1", 1), item("p1", 1), item("zzz", 1)}},
			wantMsg: `items[2].upc "zzz" is not a known product`},
		{name: "empty upc", req: &ordersv1.PlaceOrderRequest{BuyerId: "1", Items: []*ordersv1.PlaceOrderItem{item("", 1)}},
			wantMsg: "items[0].upc must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PlaceOrder(context.Background(), tt.req)
			wantStatus(t, err, codes.InvalidArgument, tt.wantMsg)
		})
	}

	t.Run("placed order is visible", func(t *testing.T) {
		nextID := "o" + strconv.Itoa(len(ix.Set.Orders)+1)
		resp, err := c.PlaceOrder(context.Background(), &ordersv1.PlaceOrderRequest{BuyerId: "1",
			Items: []*ordersv1.PlaceOrderItem{item("p1", 2), item("p2", 100)}})
		if err != nil {
			t.Fatalf("PlaceOrder: %v", err)
		}
		o := resp.GetOrder()
		if o.GetId() != nextID || o.GetBuyerId() != "1" || o.GetStatus() != ordersv1.OrderStatus_ORDER_STATUS_PENDING ||
			!o.GetCreatedAt().AsTime().Equal(fixedNow) || o.GetTotal() != int64(2*p1.Price+100*p2.Price) {
			t.Fatalf("placed order = %v", o)
		}
		if o.GetItems()[0].GetUnitPrice() != int64(p1.Price) || o.GetItems()[1].GetUnitPrice() != int64(p2.Price) {
			t.Errorf("unit prices = %v, want %d and %d", o.GetItems(), p1.Price, p2.Price)
		}
		second, err := c.PlaceOrder(context.Background(), &ordersv1.PlaceOrderRequest{BuyerId: "1",
			Items: []*ordersv1.PlaceOrderItem{item("p1", 1)}})
		if err != nil {
			t.Fatalf("PlaceOrder: %v", err)
		}
		if want := "o" + strconv.Itoa(len(ix.Set.Orders)+2); second.GetOrder().GetId() != want {
			t.Errorf("second id = %s, want %s", second.GetOrder().GetId(), want)
		}
		got, err := c.GetOrders(context.Background(), &ordersv1.GetOrdersRequest{Ids: []string{nextID}})
		if err != nil || len(got.GetOrders()) != 1 || got.GetOrders()[0].GetTotal() != o.GetTotal() {
			t.Fatalf("GetOrders(%s) = %v, %v", nextID, got, err)
		}
		list, err := c.ListOrdersByBuyers(context.Background(), &ordersv1.ListOrdersByBuyersRequest{BuyerIds: []string{"1"}})
		if err != nil {
			t.Fatalf("ListOrdersByBuyers: %v", err)
		}
		// Both placed orders share the newest time: the higher id comes first.
		gotIDs := ids(list.GetBuyers()[0].GetOrders())
		wantIDs := append([]string{second.GetOrder().GetId(), nextID}, func() []string {
			os := ix.OrdersByBuyer("1")
			slices.SortFunc(os, newestFirst)
			out := []string{}
			for _, o := range os {
				out = append(out, o.ID)
			}
			return out
		}()...)
		if diff := cmp.Diff(gotIDs, wantIDs); diff != "" {
			t.Errorf("buyer 1 orders (-got +want):\n%s", diff)
		}
	})
}

func TestNewestFirst(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := []data.Order{
		{ID: "o2", CreatedAt: t0},
		{ID: "o10", CreatedAt: t0},
		{ID: "o1", CreatedAt: t0.Add(time.Hour)},
		{ID: "o3", CreatedAt: t0.Add(-time.Hour)},
	}
	slices.SortFunc(in, newestFirst)
	var got []string
	for _, o := range in {
		got = append(got, o.ID)
	}
	if diff := cmp.Diff(got, []string{"o1", "o10", "o2", "o3"}); diff != "" {
		t.Errorf("order (-got +want):\n%s", diff)
	}
}
