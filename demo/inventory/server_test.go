package inventory

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/trellisgw/trellis/demo/data"
	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newClient serves a Server on a loopback port and returns a client connected to it.
func newClient(t *testing.T, ix *data.Index) inventoryv1.InventoryServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	gs := grpc.NewServer()
	inventoryv1.RegisterInventoryServiceServer(gs, NewServer(ix))
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
	return inventoryv1.NewInventoryServiceClient(conn)
}

func TestGetStock(t *testing.T) {
	ix := data.NewIndex(data.Generate(data.DefaultConfig()))
	c := newClient(t, ix)
	want := func(upc string) *inventoryv1.Stock {
		st, ok := ix.Stock(upc)
		if !ok {
			t.Fatalf("no stock for %s in the data set", upc)
		}
		return &inventoryv1.Stock{Upc: st.UPC, InStock: st.InStock, Quantity: int32(st.Quantity),
			ShippingEstimate: int32(st.ShippingEstimate)}
	}
	tooMany := make([]string, MaxUPCs+1)
	for i := range tooMany {
		tooMany[i] = "p1"
	}
	tests := []struct {
		name     string
		upcs     []string
		want     []*inventoryv1.Stock
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "one", upcs: []string{"p3"}, want: []*inventoryv1.Stock{want("p3")}},
		{name: "request order kept", upcs: []string{"p9", "p2", "p5"}, want: []*inventoryv1.Stock{want("p9"), want("p2"), want("p5")}},
		{name: "duplicates collapsed", upcs: []string{"p2", "p1", "p2", "p1"}, want: []*inventoryv1.Stock{want("p2"), want("p1")}},
		{name: "unknown left out", upcs: []string{"nope", "p4", "p999"}, want: []*inventoryv1.Stock{want("p4")}},
		{name: "only unknown", upcs: []string{"nope"}, want: []*inventoryv1.Stock{}},
		{name: "max allowed", upcs: tooMany[:MaxUPCs], want: []*inventoryv1.Stock{want("p1")}},
		{name: "none", upcs: nil, wantCode: codes.InvalidArgument, wantMsg: "upcs must not be empty"},
		{name: "too many", upcs: tooMany, wantCode: codes.InvalidArgument, wantMsg: "upcs must have at most 500"},
		{name: "empty upc", upcs: []string{"p1", ""}, wantCode: codes.InvalidArgument, wantMsg: "upcs[1] must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.GetStock(context.Background(), &inventoryv1.GetStockRequest{Upcs: tt.upcs})
			if tt.wantCode != codes.OK {
				st, _ := status.FromError(err)
				if st.Code() != tt.wantCode || !strings.Contains(st.Message(), tt.wantMsg) {
					t.Fatalf("error = %v, want code %v with message containing %q", err, tt.wantCode, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetStock: %v", err)
			}
			if diff := cmp.Diff(resp.GetStock(), tt.want, protocmp.Transform(), cmpEmpty); diff != "" {
				t.Errorf("stock (-got +want):\n%s", diff)
			}
		})
	}
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmp.FilterValues(func(a, b []*inventoryv1.Stock) bool { return len(a) == 0 && len(b) == 0 },
	cmp.Comparer(func(a, b []*inventoryv1.Stock) bool { return true }))

func TestShippingEstimateRule(t *testing.T) {
	ix := data.NewIndex(data.Generate(data.DefaultConfig()))
	c := newClient(t, ix)
	var upcs []string
	for _, p := range ix.Set.Products {
		upcs = append(upcs, p.UPC)
	}
	resp, err := c.GetStock(context.Background(), &inventoryv1.GetStockRequest{Upcs: upcs})
	if err != nil {
		t.Fatalf("GetStock: %v", err)
	}
	if len(resp.GetStock()) != len(upcs) {
		t.Fatalf("got %d entries, want %d", len(resp.GetStock()), len(upcs))
	}
	for _, st := range resp.GetStock() {
		p, _ := ix.Product(st.GetUpc())
		want := int32(p.Weight / 2)
		if p.Price >= 10000 {
			want = 0
		}
		if st.GetShippingEstimate() != want {
			t.Errorf("%s: shipping estimate %d, want %d (price %d, weight %d)", p.UPC, st.GetShippingEstimate(), want, p.Price, p.Weight)
		}
		if st.GetInStock() != (st.GetQuantity() > 0) {
			t.Errorf("%s: in_stock %v with quantity %d", p.UPC, st.GetInStock(), st.GetQuantity())
		}
	}
}
