package e2e

import (
	"net/http"
	"testing"
)

// TestQueryShapes runs queries in which every field that returns objects is followed by sibling
// fields and has a batched look-up below it, through plain fields (connections, edges, items) that the
// engine reads without a resolver: each must answer completely, without errors.
func TestQueryShapes(t *testing.T) {
	e := newEnv(t)
	queries := []struct {
		name, as, query string
		vars            map[string]any
		admin           bool // signed in with the admin scope, which sees every user's orders
	}{
		{name: "user connection", query: `{ users(first: 2) {
			edges { node { reviews(first: 1) { id } id } cursor }
			nodes { reviews(first: 1) { id } orders(first: 1) { totalCount } id }
			totalCount pageInfo { hasNextPage } } }`, admin: true},
		{name: "product connection", query: `{ products(first: 2) {
			edges { node { inStock reviews(first: 1) { author { id } id } upc } cursor }
			nodes { shippingEstimate upc } totalCount } }`},
		{name: "order connection", as: "1", query: `{ user(id: "1") { orders(first: 2) {
			edges { node { buyer { id } items { product { inStock name } quantity } id } cursor }
			nodes { items { product { name } unitPrice } buyer { name } status }
			totalCount } id } }`},
		{name: "order", as: "1", query: /* user 1 is o1's buyer */ `{ order(id: "o1") { items { product { name } } buyer { name } total } }`},
		{name: "mixed with introspection", query: `{ __type(name: "User") { name } topProducts(first: 2) { reviews { author { name } } } __typename }`},
		{name: "add review payload", as: "3", query: `mutation { addReview(input: {productUpc: "p2", body: "Nice", rating: 5}) {
			review { author { name } product { inStock name } id } } }`},
		{name: "place order payload", as: "3", query: `mutation { placeOrder(input: {items: [{productUpc: "p2", quantity: 1}]}) {
			order { items { product { name } quantity } buyer { name } id } } }`},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			var hdr http.Header
			switch {
			case q.admin:
				hdr = bearer(t, "9999", "admin")
			case q.as != "":
				hdr = bearer(t, q.as)
			}
			resp := e.queryWith(t, hdr, q.query, q.vars)
			if resp.Status != 200 || len(resp.Errors) > 0 {
				t.Fatalf("status %d, errors %+v", resp.Status, resp.Errors)
			}
		})
	}
}
