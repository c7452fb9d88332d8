package e2e

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
)

// TestPathInjectionIDsStayLiteral: ids that look like paths or queries reach the services as literal
// ids (unknown ones, so null) and never reach another route.
func TestPathInjectionIDsStayLiteral(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"../admin", "1?x=2", "../products/top", "%2e%2e%2f", "1#frag", "1/../2", "1&id=2"} {
		t.Run(id, func(t *testing.T) {
			e.cluster.ResetCalls()
			// Signed in: an anonymous caller's order(id:) is FORBIDDEN before any call; an unknown order is
			// null for a signed-in one.
			resp := e.query(t, "5", `query($id: ID!) { user(id: $id) { id } product(upc: $id) { upc } order(id: $id) { id } }`, map[string]any{"id": id})
			if resp.Status != 200 || len(resp.Errors) > 0 {
				t.Fatalf("status %d, errors %+v", resp.Status, resp.Errors)
			}
			if diff := cmp.Diff(`{"user":null,"product":null,"order":null}`, string(resp.Data)); diff != "" {
				t.Fatalf("data (-want +got):\n%s", diff)
			}
			want := map[string]map[string]int{
				demo.Accounts: {"GET /users": 1},
				demo.Products: {"GET /products": 1},
				demo.Orders:   {"/trellis.orders.v1.OrderService/GetOrders": 1},
			}
			if diff := cmp.Diff(want, dataCalls(e.cluster.Calls())); diff != "" {
				t.Fatalf("routes called (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	const q = `query($after: String) { users(first: 3, after: $after) { totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage endCursor } } }`
	type page struct {
		Users struct {
			TotalCount int
			Nodes      []struct{ ID string }
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				EndCursor                    string
			}
		}
	}
	var ids []string
	var after any
	for range 2 {
		resp := e.query(t, "", q, map[string]any{"after": after})
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Errors)
		}
		var p page
		resp.decode(t, &p)
		if p.Users.TotalCount != len(e.index.Set.Users) || !p.Users.PageInfo.HasNextPage {
			t.Fatalf("page = %+v", p.Users)
		}
		for _, n := range p.Users.Nodes {
			ids = append(ids, n.ID)
		}
		after = p.Users.PageInfo.EndCursor
	}
	var want []string
	for _, id := range []string{"1", "2", "3", "4", "5", "6"} {
		want = append(want, globalID("User", id))
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Fatalf("two pages of 3 (-want +got):\n%s", diff)
	}
}

func TestArgumentErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, query string
		code        string
		status      int
	}{
		{"first too large", `{ users(first: 101) { totalCount } }`, "BAD_USER_INPUT", 200},
		{"first negative", `{ topProducts(first: -1) { upc } }`, "BAD_USER_INPUT", 200},
		{"foreign cursor", `{ products(after: "bm90LWEtY3Vyc29y") { totalCount } }`, "BAD_USER_INPUT", 200},
		{"parse error", `{ users(first: ) }`, "GRAPHQL_PARSE_FAILED", 200}, // application/json: 200 (GraphQL over HTTP)
		{"unknown field", `{ users { nope } }`, "GRAPHQL_VALIDATION_FAILED", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.query(t, "", tt.query, nil)
			if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != tt.code {
				t.Fatalf("errors %+v, want one %s", resp.Errors, tt.code)
			}
			if resp.Status != tt.status {
				t.Errorf("status %d, want %d", resp.Status, tt.status)
			}
		})
	}
}
