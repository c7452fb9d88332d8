package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/internal/opgen"
)

const routeGetOrdersByID = "/trellis.orders.v1.OrderService/GetOrders"

// nodeSelection asks for every type of Node with a fragment each.
const nodeSelection = `__typename id
	... on User { username }
	... on Product { upc name }
	... on Review { rating author { id } }
	... on Order { total buyer { id } }`

// dataOf decodes a response's data into plain JSON values.
func dataOf(t *testing.T, resp response) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(resp.Data, &v); err != nil {
		t.Fatalf("data: %v: %s", err, resp.Data)
	}
	return v
}

// expectedNodes returns what nodeSelection gives for each id: the object it names in the data set, or
// nil. It reads the data set only.
func (e *env) expectedNodes(ids ...string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		raw, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil {
			continue
		}
		typ, key, _ := strings.Cut(string(raw), ":")
		switch typ {
		case "User":
			if u, ok := e.index.User(key); ok {
				out[i] = obj{"__typename": "User", "id": id, "username": u.Username}
			}
		case "Product":
			if p, ok := e.index.Product(key); ok {
				out[i] = obj{"__typename": "Product", "id": id, "upc": p.UPC, "name": p.Name}
			}
		case "Review":
			for _, r := range e.index.Set.Reviews {
				if r.ID == key {
					out[i] = obj{"__typename": "Review", "id": id, "rating": float64(r.Rating), "author": obj{"id": globalID("User", r.AuthorID)}}
				}
			}
		case "Order":
			if o, ok := e.index.Order(key); ok {
				out[i] = obj{"__typename": "Order", "id": id, "total": float64(o.Total), "buyer": obj{"id": globalID("User", o.BuyerID)}}
			}
		}
	}
	return out
}

// TestNodeOfEachType: Query.node answers an object of each Node type by its global id, and the object's
// own id is that global id.
func TestNodeOfEachType(t *testing.T) {
	e := newEnv(t)
	o1, _ := e.index.Order("o1")
	r1 := e.index.Set.Reviews[0]
	for _, id := range []string{globalID("User", "5"), globalID("Product", "p3"), globalID("Review", r1.ID), globalID("Order", o1.ID)} {
		t.Run(id, func(t *testing.T) {
			resp := e.query(t, o1.BuyerID, `query($id: ID!) { node(id: $id) { `+nodeSelection+` } }`, map[string]any{"id": id})
			if resp.Status != http.StatusOK || len(resp.Errors) > 0 {
				t.Fatalf("status %d, errors %+v", resp.Status, resp.Errors)
			}
			want := obj{"node": e.expectedNodes(id)[0]}
			if diff := cmp.Diff(want, dataOf(t, resp)); diff != "" {
				t.Errorf("node (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNodeUnknownOrMalformedIsNull: ids that name nothing give null without an error, as Relay expects,
// and a malformed id costs no call.
func TestNodeUnknownOrMalformedIsNull(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, id  string
		wantCalls map[string]map[string]int
	}{
		{"unknown user", globalID("User", "999999"), map[string]map[string]int{demo.Accounts: {routeUsers: 1}}},
		{"unknown product", globalID("Product", "p999999"), map[string]map[string]int{demo.Products: {routeProducts: 1}}},
		{"unknown review", globalID("Review", "r999999"), map[string]map[string]int{demo.Reviews: {routeReviews: 1}}},
		{"unknown order", globalID("Order", "o999999"), map[string]map[string]int{demo.Orders: {routeGetOrdersByID: 1}}},
		{"raw id", "5", map[string]map[string]int{}},
		{"not base64", "%%%", map[string]map[string]int{}},
		{"unknown type", globalID("Cart", "1"), map[string]map[string]int{}},
		{"no key", globalID("User", ""), map[string]map[string]int{}},
		{"padded", base64.URLEncoding.EncodeToString([]byte("User:55")), map[string]map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			resp := e.query(t, "5", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": tt.id})
			if resp.Status != http.StatusOK || len(resp.Errors) > 0 || string(resp.Data) != `{"node":null}` {
				t.Fatalf("status %d, data %s, errors %+v; want null without errors", resp.Status, resp.Data, resp.Errors)
			}
			if diff := cmp.Diff(tt.wantCalls, dataCalls(e.cluster.Calls())); diff != "" {
				t.Errorf("routes called (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNodesBatchedByType: nodes over ids of every type, unknown and malformed ones among them, answers
// in order with one look-up per type, from the services' own counters — and node fields beside it at
// the same level share those look-ups.
func TestNodesBatchedByType(t *testing.T) {
	e := newEnv(t)
	rv := e.index.Set.Reviews
	// Orders of several buyers: an admin sees them all.
	ids := []string{
		globalID("User", "3"), globalID("Product", "p7"), globalID("Order", "o1"), globalID("Review", rv[4].ID),
		"garbage", globalID("User", "1"), globalID("Product", "p999999"), globalID("Order", "o7"),
		globalID("Review", rv[40].ID), globalID("User", "77"), globalID("Order", "o999999"), globalID("Product", "p2"),
		globalID("User", "3"), // twice: fetched once
	}
	e.cluster.ResetCalls()
	resp := e.queryWith(t, bearer(t, "9999", "admin"), `query($ids: [ID!]!, $one: ID!) {
		nodes(ids: $ids) { `+nodeSelection+` }
		n: node(id: $one) { id }
	}`, map[string]any{"ids": ids, "one": globalID("User", "42")})
	if resp.Status != http.StatusOK || len(resp.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", resp.Status, resp.Errors)
	}
	want := obj{"nodes": e.expectedNodes(ids...), "n": obj{"id": globalID("User", "42")}}
	if diff := cmp.Diff(want, dataOf(t, resp)); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	// Level 1: users (nodes and n), products, reviews, orders by id: one call each. Level 2: the authors
	// of the reviews and the buyers of the orders: one users call.
	wantCalls := map[string]map[string]int{
		demo.Accounts: {routeUsers: 2},
		demo.Products: {routeProducts: 1},
		demo.Reviews:  {routeReviews: 1},
		demo.Orders:   {routeGetOrdersByID: 1},
	}
	if diff := cmp.Diff(wantCalls, dataCalls(e.cluster.Calls())); diff != "" {
		t.Errorf("upstream calls (-want +got):\n%s", diff)
	}
}

// TestNodesLimit: nodes takes at most 100 ids; more is BAD_USER_INPUT, with no call.
func TestNodesLimit(t *testing.T) {
	e := newEnv(t)
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = globalID("User", fmt.Sprint(i+1))
	}
	e.cluster.ResetCalls()
	resp := e.query(t, "", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || resp.Errors[0].Extensions["field"] != "ids" {
		t.Fatalf("101 ids: errors %+v, want one BAD_USER_INPUT about ids", resp.Errors)
	}
	if calls := dataCalls(e.cluster.Calls()); len(calls) != 0 {
		t.Errorf("calls %v, want none", calls)
	}
	ok := e.query(t, "", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids[:100]})
	if len(ok.Errors) > 0 {
		t.Fatalf("100 ids: errors %+v", ok.Errors)
	}
}

// TestNodeOwnerRule: an order reached through node or nodes is its buyer's and admins' only, as through
// Query.order: anyone else gets null with FORBIDDEN at its path (after the order is loaded: its type is
// known only from it), and nothing below the refused order resolves.
func TestNodeOwnerRule(t *testing.T) {
	e := newEnv(t, withAPIKey("machine-key-1", "ci"))
	o1, _ := e.index.Order("o1")
	other := "2"
	if other == o1.BuyerID {
		other = "3"
	}
	oid := globalID("Order", o1.ID)
	const q = `query($id: ID!) { node(id: $id) { id ... on Order { total items { product { name } } } } }`
	loaded := map[string]map[string]int{demo.Orders: {routeGetOrdersByID: 1}}
	served := map[string]map[string]int{demo.Orders: {routeGetOrdersByID: 1}, demo.Products: {routeProducts: 1}}
	tests := []struct {
		name      string
		hdr       http.Header
		wantCode  string // at "node"; "" = no error
		wantCalls map[string]map[string]int
	}{
		{name: "anonymous", wantCode: "FORBIDDEN", wantCalls: loaded},
		{name: "api key without admin scope", hdr: http.Header{"X-Api-Key": {"machine-key-1"}}, wantCode: "FORBIDDEN", wantCalls: loaded},
		{name: "other user", hdr: bearer(t, other, "orders:read"), wantCode: "FORBIDDEN", wantCalls: loaded},
		{name: "buyer", hdr: bearer(t, o1.BuyerID), wantCalls: served},
		{name: "admin", hdr: bearer(t, "9999", "admin"), wantCalls: served},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			resp := e.queryWith(t, tt.hdr, q, map[string]any{"id": oid})
			if resp.Status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.Status, resp.Raw)
			}
			var wantErrors map[string]string
			if tt.wantCode != "" {
				wantErrors = map[string]string{"node": tt.wantCode}
			}
			if diff := cmp.Diff(wantErrors, nilIfEmpty(errorsByPath(resp.Errors))); diff != "" {
				t.Errorf("errors by path (-want +got):\n%s", diff)
			}
			shown := string(resp.Data) != `{"node":null}`
			if shown != (tt.wantCode == "") {
				t.Errorf("data %s, want the order shown = %v", resp.Data, tt.wantCode == "")
			}
			if shown && !strings.Contains(string(resp.Data), `"id":"`+oid+`","total":`+fmt.Sprint(o1.Total)) {
				t.Errorf("data %s, want order %s", resp.Data, o1.ID)
			}
			if diff := cmp.Diff(tt.wantCalls, dataCalls(e.cluster.Calls())); diff != "" {
				t.Errorf("routes called (-want +got):\n%s", diff)
			}
		})
	}

	// In a list: the other user's order is null with FORBIDDEN at its index; the rest is served.
	var othersOrder string
	for _, o := range e.index.Set.Orders {
		if o.BuyerID != o1.BuyerID {
			othersOrder = o.ID
			break
		}
	}
	ids := []string{oid, globalID("Order", othersOrder), globalID("User", other)}
	resp := e.query(t, o1.BuyerID, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
	if diff := cmp.Diff(map[string]string{"nodes.1": "FORBIDDEN"}, errorsByPath(resp.Errors)); diff != "" {
		t.Errorf("nodes: errors by path (-want +got):\n%s", diff)
	}
	want := obj{"nodes": []any{obj{"id": ids[0]}, nil, obj{"id": ids[2]}}}
	if diff := cmp.Diff(want, dataOf(t, resp)); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
}

// TestIDArgumentsTakeGlobalAndRawIDs: user(id:) and order(id:) take the global id and, for
// compatibility, the raw id; the global id of another type names nothing.
func TestIDArgumentsTakeGlobalAndRawIDs(t *testing.T) {
	e := newEnv(t)
	o1, _ := e.index.Order("o1")
	u5 := globalID("User", "5")
	tests := []struct {
		name, query, want string
	}{
		{"user by global id", `{ user(id: "` + u5 + `") { id } }`, `{"user":{"id":"` + u5 + `"}}`},
		{"user by raw id", `{ user(id: "5") { id } }`, `{"user":{"id":"` + u5 + `"}}`},
		{"user by a product's global id", `{ user(id: "` + globalID("Product", "5") + `") { id } }`, `{"user":null}`},
		{"order by global id", `{ order(id: "` + globalID("Order", o1.ID) + `") { total } }`, fmt.Sprintf(`{"order":{"total":%d}}`, o1.Total)},
		{"order by raw id", `{ order(id: "` + o1.ID + `") { total } }`, fmt.Sprintf(`{"order":{"total":%d}}`, o1.Total)},
		{"order by a user's global id", `{ order(id: "` + globalID("User", o1.ID) + `") { total } }`, `{"order":null}`},
		{"product by upc, with its global id", `{ product(upc: "p3") { id upc } }`, `{"product":{"id":"` + globalID("Product", "p3") + `","upc":"p3"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.query(t, o1.BuyerID, tt.query, nil)
			if len(resp.Errors) > 0 || string(resp.Data) != tt.want {
				t.Errorf("data %s, errors %+v; want %s", resp.Data, resp.Errors, tt.want)
			}
		})
	}
}

// TestNodesFailedTypeDegradesItsElements: with the products service failing, nodes over users and
// products serves the users and nulls only the products' elements, each with an error at its own
// path; node of a product is null with its error. Before, one failed type nulled the whole list.
func TestNodesFailedTypeDegradesItsElements(t *testing.T) {
	e := newEnv(t)
	if err := e.cluster.SetFault(demo.Products, -1, faults.Fault{ErrorRate: 1}); err != nil {
		t.Fatal(err)
	}
	ids := []string{globalID("User", "3"), globalID("Product", "p7"), globalID("User", "1"), globalID("Product", "p2"), "garbage"}
	resp := e.queryWith(t, bearer(t, "9999", "admin"), `query($ids: [ID!]!, $one: ID!) {
		nodes(ids: $ids) { id ... on User { username } }
		alias: nodes(ids: $ids) { id }
		node(id: $one) { id }
	}`, map[string]any{"ids": ids, "one": globalID("Product", "p7")})
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.Status, resp.Raw)
	}
	assertNoLeak(t, resp.Raw)
	const code = "UPSTREAM_UNAVAILABLE"
	wantErrs := map[string]string{"nodes.1": code, "nodes.3": code, "alias.1": code, "alias.3": code, "node": code}
	if diff := cmp.Diff(wantErrs, errorsByPath(resp.Errors)); diff != "" {
		t.Errorf("errors by path (-want +got):\n%s", diff)
	}
	u3, _ := e.index.User("3")
	u1, _ := e.index.User("1")
	want := obj{
		"nodes": []any{obj{"id": ids[0], "username": u3.Username}, nil, obj{"id": ids[2], "username": u1.Username}, nil, nil},
		"alias": []any{obj{"id": ids[0]}, nil, obj{"id": ids[2]}, nil, nil},
		"node":  nil,
	}
	if diff := cmp.Diff(want, dataOf(t, resp)); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
}

// TestNodesFailedTypeSameOnBothExecutors: the partial answer of nodes with one type's service failing
// is the same from the engine and from gqlgen's executor (engine.ElementErrors), data and errors by
// path and code.
func TestNodesFailedTypeSameOnBothExecutors(t *testing.T) {
	e := newDiffEnv(t)
	e.setFault(t, []string{demo.Products}, faults.Fault{ErrorRate: 1})
	ids := []string{globalID("User", "3"), globalID("Product", "p7"), globalID("Order", "o1"), globalID("Product", "p2")}
	op := opgen.Operation{
		Query:     `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Product { name } } n: node(id: "` + ids[1] + `") { id } }`,
		Variables: map[string]any{"ids": ids},
	}
	caller := diffCaller{name: "admin 3", header: bearer(t, "3", "admin")}
	oracle, engine := e.send(t, e.oracle, caller, op), e.send(t, e.engine, caller, op)
	if d := compareOutcomes(oracle, engine, exactData); d != "" {
		t.Errorf("engine differs from the oracle:\n%s\noracle: %s\nengine: %s", d, oracle.Raw, engine.Raw)
	}
	if got := errorsByPath(engine.Errors); len(got) != 3 || got["nodes.1"] == "" || got["nodes.3"] == "" || got["n"] == "" {
		t.Errorf("errors by path %v, want nodes.1, nodes.3 and n", got)
	}
}
