package auth

import (
	"context"
	"testing"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/identity"
)

// member is a record of a type without an owner of its own.
type member struct{ ID string }

// TestOwnedType: @owner on an object type checks each object of the type that any field returns,
// whatever the field's declared type (the type itself, a list of it, an interface or a union), and
// leaves the other members of an abstract type alone.
func TestOwnedType(t *testing.T) {
	schema := loadSchema(t, `
interface Node { id: ID! }
type Order implements Node @owner(field: "buyerId") { id: ID! }
type Account implements Node { id: ID! }
type Query {
  order(id: ID!): Order
  orders: [Order!]!
  node(id: ID!): Node
  account: Account
}
`)
	r, err := NewRules(schema, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if c := r.FieldCheck("Query", "account"); c != nil {
		t.Errorf("Query.account has a check %+v, want none", c)
	}
	user := func(id string, scopes ...string) *identity.Caller {
		return &identity.Caller{Kind: identity.User, UserID: id, Scopes: scopes}
	}
	o1 := &order{ID: "o1", BuyerID: "1"}
	tests := []struct {
		name          string
		field         string
		caller        *identity.Caller
		typ           string
		result        any
		wantOperation string // code of the refusal before anything resolves
		wantResult    string // code of the refusal of the result
	}{
		{name: "anonymous, order", field: "order", typ: "Order", result: o1, wantOperation: errcode.Forbidden, wantResult: errcode.Forbidden},
		{name: "anonymous, list of orders", field: "orders", typ: "Order", result: o1, wantOperation: errcode.Forbidden, wantResult: errcode.Forbidden},
		{name: "anonymous, node: loaded, then checked", field: "node", typ: "Order", result: o1, wantResult: errcode.Forbidden},
		{name: "anonymous, node of another type", field: "node", typ: "Account", result: &member{ID: "1"}},
		{name: "other user, node", field: "node", caller: user("2"), typ: "Order", result: o1, wantResult: errcode.Forbidden},
		{name: "buyer, node", field: "node", caller: user("1"), typ: "Order", result: o1},
		{name: "buyer, list item", field: "orders", caller: user("1"), typ: "Order", result: o1},
		{name: "other user, list item", field: "orders", caller: user("2"), typ: "Order", result: o1, wantResult: errcode.Forbidden},
		{name: "admin, node", field: "node", caller: user("2", "admin"), typ: "Order", result: o1},
		{name: "empty owner id fails closed", field: "node", caller: user("1"), typ: "Order", result: &order{ID: "o9"}, wantResult: errcode.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := r.FieldCheck("Query", tt.field)
			if c == nil || c.Operation == nil || c.Result == nil {
				t.Fatalf("FieldCheck(Query.%s) = %+v, want operation and result checks", tt.field, c)
			}
			ctx := identity.NewContext(context.Background(), tt.caller)
			if got := codeOf(c.Operation(ctx)); got != tt.wantOperation {
				t.Errorf("operation check: code %q, want %q", got, tt.wantOperation)
			}
			if got := codeOf(c.Result(ctx, tt.typ, tt.result)); got != tt.wantResult {
				t.Errorf("result check: code %q, want %q", got, tt.wantResult)
			}
		})
	}
}

func TestOwnedTypeRefusesWhatItCannotEnforce(t *testing.T) {
	for name, sdl := range map[string]string{
		"result on a type": `type Query { a: A } type A @owner(result: true) { id: ID! }`,
		"owner field list": `type Query { a: A } type A @owner(field: "ids") { ids: [ID!] }`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewRules(loadSchema(t, sdl), "admin"); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
