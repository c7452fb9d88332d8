package upstreams_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
	ordersv1 "github.com/trellisgw/trellis/proto/orders/v1"
	"github.com/trellisgw/trellis/upstreams"
)

// TestBatchSplitting checks that key lists longer than MaxBatch are split into ceil(n/MaxBatch) calls
// (counted by the services themselves) whose results are concatenated in key order.
func TestBatchSplitting(t *testing.T) {
	const users, products = 1100, 600
	e := startEnv(t, data.Config{Users: users, Products: products}, nil)
	ctx := testCtx(t)

	userIDs := func(n int) []string { // "1".."n": known up to users
		out := make([]string, n)
		for i := range out {
			out[i] = strconv.Itoa(i + 1)
		}
		return out
	}
	upcs := func(n int) []string { // "p1".."pn": known up to products
		out := make([]string, n)
		for i := range out {
			out[i] = "p" + strconv.Itoa(i+1)
		}
		return out
	}
	orderIDs := make([]string, len(e.ix.Set.Orders))
	for i, o := range e.ix.Set.Orders {
		orderIDs[i] = o.ID
	}
	// result returns the ids of what a call found, in order.
	type call func(ctx context.Context, keys []string) ([]string, error)
	c := e.clients
	tests := []struct {
		name      string
		service   string
		route     string
		keys      []string
		call      call
		wantFound []string
	}{
		{"users 0", demo.Accounts, "GET /users", nil, usersCall(c), nil},
		{"users 1", demo.Accounts, "GET /users", userIDs(1), usersCall(c), userIDs(1)},
		{"users 500", demo.Accounts, "GET /users", userIDs(500), usersCall(c), userIDs(500)},
		{"users 501", demo.Accounts, "GET /users", userIDs(501), usersCall(c), userIDs(501)},
		{"users 1000", demo.Accounts, "GET /users", userIDs(1000), usersCall(c), userIDs(1000)},
		{"users 1101, one unknown", demo.Accounts, "GET /users", userIDs(users + 1), usersCall(c), userIDs(users)},
		{"products 0", demo.Products, "GET /products", nil, productsCall(c), nil},
		{"reviews by authors 0", demo.Reviews, "GET /reviews", nil, reviewAuthorsCall(c), nil},
		{"stock 0", demo.Inventory, inventoryv1.InventoryService_GetStock_FullMethodName, nil, stockCall(c), nil},
		{"orders by buyers 0", demo.Orders, ordersv1.OrderService_ListOrdersByBuyers_FullMethodName, nil, buyersCall(c), nil},
		{"products 601", demo.Products, "GET /products", upcs(products + 1), productsCall(c), upcs(products)},
		{"reviews by authors 1101", demo.Reviews, "GET /reviews", userIDs(users + 1), reviewAuthorsCall(c), userIDs(users)},
		{"stock 601", demo.Inventory, inventoryv1.InventoryService_GetStock_FullMethodName, upcs(products + 1), stockCall(c), upcs(products)},
		{"orders by id", demo.Orders, ordersv1.OrderService_GetOrders_FullMethodName, orderIDs, ordersCall(c), orderIDs},
		{"orders by buyers 1101", demo.Orders, ordersv1.OrderService_ListOrdersByBuyers_FullMethodName, userIDs(users + 1), buyersCall(c), userIDs(users + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			found, err := tt.call(ctx, tt.keys)
			if err != nil {
				t.Fatalf("call with %d keys: %v", len(tt.keys), err)
			}
			if diff := cmp.Diff(found, tt.wantFound); diff != "" {
				t.Errorf("found (-got +want):\n%s", diff)
			}
			wantCalls := (len(tt.keys) + upstreams.MaxBatch - 1) / upstreams.MaxBatch
			calls := e.cluster.Calls()
			if got := calls[tt.service][tt.route]; got != wantCalls {
				t.Errorf("%d keys made %d calls of %s %s, want %d (all calls: %v)", len(tt.keys), got, tt.service, tt.route, wantCalls, calls)
			}
		})
	}
}

func usersCall(c *upstreams.Clients) func(context.Context, []string) ([]string, error) {
	return func(ctx context.Context, keys []string) ([]string, error) {
		got, err := c.Accounts.UsersByID(ctx, keys)
		return mapIDs(got, func(u upstreams.User) string { return u.ID }), err
	}
}

func productsCall(c *upstreams.Clients) func(context.Context, []string) ([]string, error) {
	return func(ctx context.Context, keys []string) ([]string, error) {
		got, err := c.Products.ProductsByUPC(ctx, keys)
		return mapIDs(got, func(p upstreams.Product) string { return p.UPC }), err
	}
}

// reviewAuthorsCall reports the distinct authors of the reviews found, in the order first seen.
func reviewAuthorsCall(c *upstreams.Clients) func(context.Context, []string) ([]string, error) {
	return func(ctx context.Context, keys []string) ([]string, error) {
		got, err := c.Reviews.ByAuthors(ctx, keys)
		authors := mapIDs(got, func(r upstreams.Review) string { return r.AuthorID })
		return slices.Compact(authors), err
	}
}

func stockCall(c *upstreams.Clients) func(context.Context, []string) ([]string, error) {
	return func(ctx context.Context, keys []string) ([]string, error) {
		got, err := c.Inventory.StockByUPC(ctx, keys)
		return mapIDs(got, func(s upstreams.Stock) string { return s.UPC }), err
	}
}

func ordersCall(c *upstreams.Clients) func(context.Context, []string) ([]string, error) {
	return func(ctx context.Context, keys []string) ([]string, error) {
		got, err := c.Orders.OrdersByID(ctx, keys)
		return mapIDs(got, func(o upstreams.Order) string { return o.ID }), err
	}
}

// buyersCall reports the buyers answered, in key order, after checking each one's orders belong to it.
func buyersCall(c *upstreams.Clients) func(context.Context, []string) ([]string, error) {
	return func(ctx context.Context, keys []string) ([]string, error) {
		got, err := c.Orders.OrdersByBuyers(ctx, keys)
		var out []string
		for _, k := range keys {
			orders, ok := got[k]
			if !ok {
				continue
			}
			for _, o := range orders {
				if o.BuyerID != k {
					return nil, fmt.Errorf("order %s of buyer %s listed under buyer %s", o.ID, o.BuyerID, k)
				}
			}
			out = append(out, k)
		}
		return out, err
	}
}

func mapIDs[T any](in []T, id func(T) string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = id(v)
	}
	return out
}
