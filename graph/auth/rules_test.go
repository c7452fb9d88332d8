package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/identity"
)

const directivesSDL = `
directive @authenticated on FIELD_DEFINITION | OBJECT
directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT
directive @owner(field: String! = "id", result: Boolean! = false) on FIELD_DEFINITION | OBJECT
`

func loadSchema(t *testing.T, sdl string) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: directivesSDL + sdl})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type account struct {
	ID      string
	OwnerID int
}

func TestRules(t *testing.T) {
	schema := loadSchema(t, `
type Query { account: Account  secret: String @authenticated  report: String @requiresScopes(scopes: [["a", "b"], ["c"]]) }
type Account {
  id: ID!
  email: String @owner
  notes: String @owner(field: "ownerId") @requiresScopes(scopes: [["notes:read"]])
  ownerId: Int
}
type Mutation @authenticated { do: Boolean }
`)
	r, err := NewRules(schema, "admin")
	if err != nil {
		t.Fatal(err)
	}
	user := func(id string, scopes ...string) *identity.Caller {
		return &identity.Caller{Kind: identity.User, UserID: id, Scopes: scopes}
	}
	acct := &account{ID: "5", OwnerID: 7}
	tests := []struct {
		name     string
		object   string
		field    string
		caller   *identity.Caller
		wantCode string
	}{
		{name: "no rule", object: "Account", field: "id"},
		{name: "authenticated, anonymous", object: "Query", field: "secret", wantCode: errcode.Unauthenticated},
		{name: "authenticated, api key", object: "Query", field: "secret", caller: &identity.Caller{Kind: identity.APIKey, ClientID: "ci"}},
		{name: "type-level authenticated", object: "Mutation", field: "do", wantCode: errcode.Unauthenticated},
		{name: "scopes: all of the first set", object: "Query", field: "report", caller: user("1", "a", "b")},
		{name: "scopes: the second set", object: "Query", field: "report", caller: user("1", "c")},
		{name: "scopes: half of the first set", object: "Query", field: "report", caller: user("1", "a"), wantCode: errcode.Forbidden},
		{name: "scopes: anonymous", object: "Query", field: "report", wantCode: errcode.Forbidden},
		{name: "owner", object: "Account", field: "email", caller: user("5")},
		{name: "other user", object: "Account", field: "email", caller: user("6"), wantCode: errcode.Forbidden},
		{name: "admin", object: "Account", field: "email", caller: user("6", "admin")},
		{name: "owner rule, anonymous", object: "Account", field: "email", wantCode: errcode.Forbidden},
		{name: "owner by an int field", object: "Account", field: "notes", caller: user("7", "notes:read")},
		{name: "owner without the scope", object: "Account", field: "notes", caller: user("7"), wantCode: errcode.Forbidden},
		{name: "scope without ownership", object: "Account", field: "notes", caller: user("5", "notes:read"), wantCode: errcode.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := &graphql.FieldContext{Result: acct}
			fc := &graphql.FieldContext{Object: tt.object, Field: graphql.CollectedField{Field: &ast.Field{Name: tt.field}}}
			ctx := graphql.WithFieldContext(identity.NewContext(context.Background(), tt.caller), parent)
			ctx = graphql.WithFieldContext(ctx, fc) // its parent is the object's field
			ran := false
			_, err := r.InterceptField(ctx, func(context.Context) (any, error) { ran = true; return "ok", nil })
			if tt.wantCode == "" {
				if err != nil || !ran {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if ran {
				t.Fatal("the resolver ran")
			}
			if codeOf(err) != tt.wantCode {
				t.Fatalf("error %v, want %s", err, tt.wantCode)
			}
		})
	}
}

func TestNewRulesRefusesWhatItCannotEnforce(t *testing.T) {
	for name, sdl := range map[string]string{
		"owner field missing":       `type Query { a: A } type A { email: String @owner }`,
		"owner field a list":        `type Query { a: A } type A { ids: [ID!] email: String @owner(field: "ids") }`,
		"empty scopes":              `type Query { a: String @requiresScopes(scopes: []) }`,
		"result owner on a list":    `type Query { as: [A!] @owner(result: true) } type A { id: ID! }`,
		"result owner on a scalar":  `type Query { a: String @owner(result: true) }`,
		"result owner field a list": `type Query { a: A @owner(field: "ids", result: true) } type A { ids: [ID!] }`,
		"empty inner scopes":        `type Query { a: String @requiresScopes(scopes: [[]]) }`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewRules(loadSchema(t, sdl), "admin"); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// order is a record whose owner id the schema does not expose (as upstreams.Order's BuyerID).
type order struct {
	ID      string
	BuyerID string
}

// TestResultOwner: @owner(result: true) reads the owner from the field's own result, which the resolver
// has to load first; callers that cannot own anything are refused before it runs.
func TestResultOwner(t *testing.T) {
	schema := loadSchema(t, `
type Query { order(id: ID!): Order @owner(field: "buyerId", result: true)  typo: Order @owner(field: "nope", result: true) }
type Order { id: ID! }
`)
	r, err := NewRules(schema, "admin")
	if err != nil {
		t.Fatal(err)
	}
	user := func(id string, scopes ...string) *identity.Caller {
		return &identity.Caller{Kind: identity.User, UserID: id, Scopes: scopes}
	}
	o1 := &order{ID: "o1", BuyerID: "1"}
	tests := []struct {
		name     string
		field    string
		caller   *identity.Caller
		result   any
		wantRan  bool
		wantCode string
		wantNull bool
	}{
		{name: "anonymous", caller: nil, result: o1, wantCode: errcode.Forbidden, wantNull: true},
		{name: "api key", caller: &identity.Caller{Kind: identity.APIKey, ClientID: "ci"}, result: o1, wantCode: errcode.Forbidden, wantNull: true},
		{name: "other user", caller: user("2"), result: o1, wantRan: true, wantCode: errcode.Forbidden, wantNull: true},
		{name: "buyer", caller: user("1"), result: o1, wantRan: true},
		{name: "admin", caller: user("2", "admin"), result: o1, wantRan: true},
		{name: "api key with admin scope", caller: &identity.Caller{Kind: identity.APIKey, ClientID: "ci", Scopes: []string{"admin"}}, result: o1, wantRan: true},
		{name: "no such order", caller: user("2"), result: (*order)(nil), wantRan: true, wantNull: true},
		{name: "owner field unreadable fails closed", field: "typo", caller: user("1"), result: o1, wantRan: true, wantCode: errcode.Forbidden, wantNull: true},
		{name: "empty owner id fails closed", caller: user("1"), result: &order{ID: "o9"}, wantRan: true, wantCode: errcode.Forbidden, wantNull: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field := tt.field
			if field == "" {
				field = "order"
			}
			fc := &graphql.FieldContext{Object: "Query", Field: graphql.CollectedField{Field: &ast.Field{Name: field}}}
			ctx := graphql.WithFieldContext(identity.NewContext(context.Background(), tt.caller), fc)
			ran := false
			res, err := r.InterceptField(ctx, func(context.Context) (any, error) { ran = true; return tt.result, nil })
			if ran != tt.wantRan {
				t.Errorf("resolver ran = %v, want %v", ran, tt.wantRan)
			}
			if codeOf(err) != tt.wantCode {
				t.Errorf("error %v, want code %q", err, tt.wantCode)
			}
			if isNil(res) != tt.wantNull {
				t.Errorf("result %#v, want null = %v", res, tt.wantNull)
			}
		})
	}
}

func codeOf(err error) string {
	var e *gqlerror.Error
	if !errors.As(err, &e) {
		return ""
	}
	return errcode.Code(e)
}

// BenchmarkInterceptField measures the interceptor on a field without a rule (most fields) and on an
// @owner field.
func BenchmarkInterceptField(b *testing.B) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "b.graphqls", Input: directivesSDL + `type Query { a: Account } type Account { id: ID! email: String @owner }`})
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRules(schema, "admin")
	if err != nil {
		b.Fatal(err)
	}
	next := func(context.Context) (any, error) { return "x", nil }
	for _, field := range []string{"id", "email"} {
		b.Run(field, func(b *testing.B) {
			ctx := identity.NewContext(context.Background(), &identity.Caller{Kind: identity.User, UserID: "5"})
			ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Result: &account{ID: "5"}})
			ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "Account", Field: graphql.CollectedField{Field: &ast.Field{Name: field}}})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.InterceptField(ctx, next); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
