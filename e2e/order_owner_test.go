package e2e

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
)

const routeGetOrders = "/trellis.orders.v1.OrderService/GetOrders"

// TestOrderIsItsBuyers: Query.order (the Order type's @owner(field: "buyerId")) answers an order to its
// buyer and to admins only; anyone else gets null with FORBIDDEN at "order". The buyer id is on the
// loaded order, so the check needs the order: a signed-in user who is not the buyer costs one GetOrders
// call (and nothing below the order), while callers that cannot be a buyer (anonymous, an API key
// without a user) are refused before any call.
func TestOrderIsItsBuyers(t *testing.T) {
	e := newEnv(t, withAPIKey("machine-key-1", "ci"))
	o1, ok := e.index.Order("o1")
	if !ok {
		t.Fatal("no order o1 in the data set")
	}
	other := "2"
	if other == o1.BuyerID {
		other = "3"
	}
	const q = `query($id: ID!) { order(id: $id) { id total items { product { name } } } }`
	loaded := map[string]map[string]int{demo.Orders: {routeGetOrders: 1}}
	served := map[string]map[string]int{demo.Orders: {routeGetOrders: 1}, demo.Products: {routeProducts: 1}}
	tests := []struct {
		name      string
		hdr       http.Header
		id        string
		wantCode  string // at "order"; "" = no error
		wantOrder bool
		wantCalls map[string]map[string]int
	}{
		{name: "anonymous", id: "o1", wantCode: "FORBIDDEN", wantCalls: map[string]map[string]int{}},
		{name: "api key without admin scope", hdr: http.Header{"X-Api-Key": {"machine-key-1"}}, id: "o1", wantCode: "FORBIDDEN", wantCalls: map[string]map[string]int{}},
		{name: "other user", hdr: bearer(t, other, "orders:read"), id: "o1", wantCode: "FORBIDDEN", wantCalls: loaded},
		{name: "buyer", hdr: bearer(t, o1.BuyerID), id: "o1", wantOrder: true, wantCalls: served},
		{name: "admin", hdr: bearer(t, "9999", "admin"), id: "o1", wantOrder: true, wantCalls: served},
		{name: "unknown order, signed in", hdr: bearer(t, other), id: "o999999", wantCalls: loaded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			resp := e.queryWith(t, tt.hdr, q, map[string]any{"id": tt.id})
			if resp.Status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.Status, resp.Raw)
			}
			var wantErrors map[string]string
			if tt.wantCode != "" {
				wantErrors = map[string]string{"order": tt.wantCode}
			}
			if diff := cmp.Diff(wantErrors, nilIfEmpty(errorsByPath(resp.Errors))); diff != "" {
				t.Errorf("errors by path (-want +got):\n%s", diff)
			}
			var got struct {
				Order *struct {
					ID    string
					Total int
					Items []struct{ Product struct{ Name string } }
				}
			}
			resp.decode(t, &got)
			if (got.Order != nil) != tt.wantOrder {
				t.Fatalf("order shown = %v, want %v: %s", got.Order != nil, tt.wantOrder, resp.Data)
			}
			if tt.wantOrder && (got.Order.ID != globalID("Order", o1.ID) || got.Order.Total != o1.Total || len(got.Order.Items) != len(o1.Items)) {
				t.Errorf("order = %s, want %s with total %d and %d items", resp.Data, o1.ID, o1.Total, len(o1.Items))
			}
			if diff := cmp.Diff(tt.wantCalls, dataCalls(e.cluster.Calls())); diff != "" {
				t.Errorf("routes called (-want +got):\n%s", diff)
			}
		})
	}
}
