package cost

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/trellisgw/trellis/graph/errcode"
)

// testSDL exercises every rule of the model; the costs in the table are computed by hand from it.
const testSDL = `
type Query {
  users(first: Int = 10, after: String): UserConnection @listSize(slicingArguments: ["first"], sizedFields: ["edges", "nodes"])
  top(first: Int = 5): [Item!] @listSize(slicingArguments: ["first"])
  search(first: Int, last: Int): [Item!] @listSize(slicingArguments: ["first", "last"])
  loose(first: Int, last: Int): [Item!] @listSize(slicingArguments: ["first", "last"], requireOneSlicingArgument: false)
  assumed: [Item!] @listSize(assumedSize: 3)
  plain: [Item!]
  grid: [[Item!]]
  node(id: ID!): Node
  media: [Media!] @listSize(assumedSize: 2)
  expensive(filter: String @cost(weight: "4")): Int @cost(weight: "2.5")
}
type UserConnection { edges: [UserEdge!]! nodes: [User!]! total: Int! }
type UserEdge { cursor: String! node: User! }
interface Node { id: ID! }
type User implements Node { id: ID! name: String! items(first: Int = 2): [Item!] @listSize(slicingArguments: ["first"]) }
type Item implements Node @cost(weight: "3") { id: ID! score: Float }
union Media = User | Item
type Mutation { add(n: Int!): Item }
`

func testSchema(t testing.TB) *ast.Schema {
	t.Helper()
	directives, err := os.ReadFile("../../schema/cost.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	s, gerr := gqlparser.LoadSchema(&ast.Source{Name: "cost.graphqls", Input: string(directives)}, &ast.Source{Name: "test.graphqls", Input: testSDL})
	if gerr != nil {
		t.Fatal(gerr)
	}
	return s
}

func testModel(t testing.TB) *Model {
	t.Helper()
	m, err := NewModel(testSchema(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// price validates query against the model's schema and prices its only operation.
func price(t testing.TB, m *Model, query string, vars map[string]any, breakdown bool) (Result, error) {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(m.schema, query)
	if errs != nil {
		t.Fatalf("invalid test query: %v", errs)
	}
	op := doc.Operations[0]
	coerced, err := validator.VariableValues(m.schema, op, vars)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	res, gerr := m.Calculate(op, coerced, breakdown)
	if gerr != nil {
		return res, gerr
	}
	return res, nil
}

func TestCalculate(t *testing.T) {
	m := testModel(t)
	tests := []struct {
		name    string
		query   string
		vars    map[string]any
		want    int
		wantErr bool
	}{
		{name: "list with default slicing argument", query: `{ top { id } }`, want: 5 * 3},
		{name: "slicing argument literal", query: `{ top(first: 2) { id score } }`, want: 2 * 3},
		{name: "slicing argument variable", query: `query($n: Int) { top(first: $n) { id } }`, vars: map[string]any{"n": 7}, want: 7 * 3},
		{name: "variable not given takes the argument default", query: `query($n: Int) { top(first: $n) { id } }`, want: 5 * 3},
		{name: "variable default", query: `query($n: Int = 4) { top(first: $n) { id } }`, want: 4 * 3},
		{name: "explicit null takes the argument default", query: `query($n: Int) { top(first: $n) { id } }`, vars: map[string]any{"n": nil}, want: 5 * 3},
		{name: "negative size is empty", query: `{ top(first: -3) { id } }`, want: 0},
		// users 1 + edges 3×(edge 1 + node 1) + nodes 3×1
		{name: "connection sizedFields", query: `{ users(first: 3) { edges { cursor node { name } } nodes { id } total } }`, want: 1 + 3*2 + 3},
		// users 1 + nodes 2×(user 1 + items 4×3)
		{name: "nested lists", query: `{ users(first: 2) { nodes { items(first: 4) { id } } } }`, want: 1 + 2*(1+4*3)},
		{name: "nested lists with defaults", query: `{ users { nodes { items { id } } } }`, want: 1 + 10*(1+2*3)},
		{name: "fragments, inline fragments and aliases", query: `fragment F on Item { id score } { a: top(first: 1) { ...F } b: top(first: 2) { ... on Item { id } } }`, want: 3 + 6},
		{name: "same response key merged", query: `{ top(first: 1) { id } top(first: 1) { score } }`, want: 3},
		{name: "fragment spread twice is merged", query: `fragment U on User { items(first: 1) { id } } { users(first: 1) { nodes { ...U ...U } } }`, want: 1 + 1*(1+3)},
		{name: "assumedSize", query: `{ assumed { id } }`, want: 3 * 3},
		{name: "list without @listSize takes the default size", query: `{ plain { id } }`, want: 10 * 3},
		{name: "list of lists", query: `{ grid { id } }`, want: 10 * 10 * 3},
		{name: "requireOneSlicingArgument: none given, no default", query: `{ search { id } }`, wantErr: true},
		{name: "requireOneSlicingArgument: two given", query: `{ search(first: 1, last: 2) { id } }`, wantErr: true},
		{name: "requireOneSlicingArgument: null is not given", query: `{ search(first: null) { id } }`, wantErr: true},
		{name: "requireOneSlicingArgument: one given", query: `{ search(last: 4) { id } }`, want: 4 * 3},
		{name: "requireOneSlicingArgument false: none given", query: `{ loose { id } }`, want: 10 * 3},
		{name: "requireOneSlicingArgument false: largest counts", query: `{ loose(first: 1, last: 3) { id } }`, want: 3 * 3},
		// interface: its own weight 1 + the dearest possible type (User: items 2×3; Item: 0)
		{name: "interface takes the dearest type", query: `{ node(id: "1") { id ... on User { items { id } } } }`, want: 1 + 2*3},
		{name: "union", query: `{ media { ... on User { name items(first: 1) { id } } ... on Item { score } } }`, want: 2 * (1 + 3)},
		{name: "mutation", query: `mutation { add(n: 1) { id } }`, want: 10 + 3},
		{name: "field and argument weights", query: `{ expensive(filter: "x") }`, want: 7}, // 2.5 + 4, rounded up
		{name: "argument weight only when given", query: `{ expensive }`, want: 3},
		{name: "skip", query: `query($s: Boolean!) { top(first: 1) @skip(if: $s) { id } plain @include(if: false) { id } }`, vars: map[string]any{"s": true}, want: 0},
		{name: "include", query: `query($s: Boolean!) { top(first: 1) @include(if: $s) { id } }`, vars: map[string]any{"s": true}, want: 3},
		{name: "typename is free", query: `{ __typename top(first: 1) { __typename } }`, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := price(t, m, tt.query, tt.vars, false)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("cost %d, want an error", res.Cost)
				}
				if code := errcode.Code(toGQL(err)); code != errcode.ValidationFailed {
					t.Fatalf("code %q, want %q (%v)", code, errcode.ValidationFailed, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Cost != tt.want {
				t.Errorf("cost = %d, want %d", res.Cost, tt.want)
			}
		})
	}
}

func TestIntrospectionIsPriced(t *testing.T) {
	m := testModel(t)
	res, err := price(t, m, `{ __schema { types { name fields { name } } } }`, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	sizes := introspectionSizes(m.schema)
	// __schema 1 + types × (type 1 + fields × field 1)
	want := 1 + int(sizes["__Schema.types"]*(1+sizes["__Type.fields"]))
	if res.Cost != want {
		t.Errorf("cost = %d, want %d", res.Cost, want)
	}
}

func TestBreakdownAddsUp(t *testing.T) {
	m := testModel(t)
	res, err := price(t, m, `{ users(first: 2) { nodes { name items(first: 4) { id } } } top { id } }`, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var roots, owns float64
	for _, f := range res.Fields {
		got = append(got, f.Path)
		owns += f.Own
		if f.Path == "users" || f.Path == "top" {
			roots += f.Total
		}
	}
	want := []string{"users", "users.nodes", "users.nodes.name", "users.nodes.items", "users.nodes.items.id", "top", "top.id"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("paths (-got +want):\n%s", diff)
	}
	if int(roots) != res.Cost || int(owns) != res.Cost {
		t.Errorf("root totals %v and owns %v, want both %d", roots, owns, res.Cost)
	}
	items := res.Fields[3]
	if items.Count != 2 || items.Size != 4 || items.Own != 2*4*3 {
		t.Errorf("items = %+v, want count 2, size 4, own 24", items)
	}
}

func TestNewModelRefusesBadDirectives(t *testing.T) {
	directives, _ := os.ReadFile("../../schema/cost.graphqls")
	for name, sdl := range map[string]string{
		"negative weight":          `type Query { a: Int @cost(weight: "-1") }`,
		"weight not a number":      `type Query { a: Int @cost(weight: "lots") }`,
		"unknown slicing argument": `type Query { a(first: Int): [Int] @listSize(slicingArguments: ["last"]) }`,
	} {
		t.Run(name, func(t *testing.T) {
			s, gerr := gqlparser.LoadSchema(&ast.Source{Input: string(directives)}, &ast.Source{Input: sdl})
			if gerr != nil {
				t.Fatal(gerr)
			}
			if _, err := NewModel(s, Config{}); err == nil {
				t.Fatal("NewModel accepted it")
			}
		})
	}
}

func toGQL(err error) *gqlerror.Error {
	e, _ := err.(*gqlerror.Error)
	return e
}

func TestPricingStopsPastTheMaximum(t *testing.T) {
	m, err := NewModel(testSchema(t), Config{MaxCost: 1000})
	if err != nil {
		t.Fatal(err)
	}
	res, err := price(t, m, `{ users(first: 100) { nodes { items(first: 100) { id } } } top(first: 100000) { id } }`, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || res.Cost != 10001 {
		t.Errorf("result %+v, want a partial cost of 10001", res)
	}
}
