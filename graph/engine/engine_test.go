package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
	"go.uber.org/goleak"
)

const testSDL = `
type Query {
  items(n: Int = 2): [Item!]!
  node(id: ID!): Node
  search: [Result!]!
  maybe: Item
  strict: Item!
}
type Mutation { push(v: Int!): Int! }
interface Node { id: ID! }
type Item implements Node {
  id: ID!
  name: String!
  kids: [Item!]
  parent: Item
  broken: String!
  secret: String
  owned: String
}
type Other implements Node { id: ID! label: String }
union Result = Item | Other
`

type item struct {
	id     string
	parent *item
}

type other struct{ id string }

const (
	tItem TypeID = iota
	tMutation
	tOther
	tQuery
)

// fixture is a hand-written binding of testSDL that records the resolver calls.
type fixture struct {
	mu     sync.Mutex
	calls  []string // "Type.field:<parents>"
	pushes []int
}

func (fx *fixture) record(name string, parents int) {
	fx.mu.Lock()
	fx.calls = append(fx.calls, fmt.Sprintf("%s:%d", name, parents))
	fx.mu.Unlock()
}

func str(get func(any) string) func(*Writer, any) bool {
	return func(w *Writer, o any) bool { w.String(get(o)); return false }
}

func (fx *fixture) schema() *Schema {
	itemOf := func(o any) *item { return o.(*item) }
	return &Schema{Types: []*Type{
		tItem: {ID: tItem, Name: "Item", Fields: map[string]*Field{
			"id":     {Write: str(func(o any) string { return itemOf(o).id })},
			"name":   {Write: str(func(o any) string { return "name-" + itemOf(o).id })},
			"broken": {Write: func(w *Writer, _ any) bool { w.Null(); return true }},
			"secret": {Write: str(func(any) string { return "s" })},
			"owned":  {Write: str(func(any) string { return "mine" })},
			"parent": {Emit: func(_ context.Context, o any, r *Results) {
				if p := itemOf(o).parent; p != nil {
					r.Object(tItem, p)
				} else {
					r.Null()
				}
			}},
			"kids": {Resolve: func(_ context.Context, _ map[string]any, parents []any, r *Results) error {
				fx.record("Item.kids", len(parents))
				for _, p := range parents {
					it := itemOf(p)
					r.Next()
					switch {
					case strings.HasSuffix(it.id, "err"):
						r.Error(errors.New("kids failed"))
					case len(it.id) > 6:
						r.Null()
					default:
						r.List(2)
						r.Object(tItem, &item{id: it.id + "a", parent: it})
						r.Object(tItem, &item{id: it.id + "b", parent: it})
					}
				}
				return nil
			}},
		}},
		tOther: {ID: tOther, Name: "Other", Fields: map[string]*Field{
			"id":    {Write: str(func(o any) string { return o.(*other).id })},
			"label": {Write: func(w *Writer, _ any) bool { w.Null(); return true }},
		}},
		tMutation: {ID: tMutation, Name: "Mutation", Fields: map[string]*Field{
			"push": {
				Args: func(_ context.Context, raw map[string]any) (map[string]any, error) { return raw, nil },
				Resolve: func(_ context.Context, args map[string]any, _ []any, r *Results) error {
					v := int(args["v"].(int64))
					fx.mu.Lock()
					fx.pushes = append(fx.pushes, v)
					n := len(fx.pushes)
					fx.mu.Unlock()
					r.Next()
					s := r.LeafStart()
					r.Leaf().Int(int64(n))
					r.EndLeaf(s)
					return nil
				},
			},
		}},
		tQuery: {ID: tQuery, Name: "Query", Fields: map[string]*Field{
			"items": {
				Args: func(_ context.Context, raw map[string]any) (map[string]any, error) { return raw, nil },
				Resolve: func(_ context.Context, args map[string]any, parents []any, r *Results) error {
					fx.record("Query.items", len(parents))
					n := int(args["n"].(int64))
					for range parents { // aliases with the same arguments
						r.Next()
						r.List(n)
						for i := range n {
							id := fmt.Sprint(i)
							if i == 1 && n == 3 {
								id = "err"
							}
							r.Object(tItem, &item{id: id})
						}
					}
					return nil
				},
			},
			"node": {
				Args: func(_ context.Context, raw map[string]any) (map[string]any, error) { return raw, nil },
				Resolve: func(_ context.Context, args map[string]any, _ []any, r *Results) error {
					r.Next()
					id := args["id"].(string)
					if strings.HasPrefix(id, "o") {
						r.Object(tOther, &other{id: id})
					} else {
						r.Object(tItem, &item{id: id})
					}
					return nil
				},
			},
			"search": {Resolve: func(_ context.Context, _ map[string]any, _ []any, r *Results) error {
				r.Next()
				r.List(2)
				r.Object(tItem, &item{id: "1"})
				r.Object(tOther, &other{id: "o1"})
				return nil
			}},
			"maybe": {Resolve: func(context.Context, map[string]any, []any, *Results) error {
				return errors.New("maybe failed")
			}},
			"strict": {Resolve: func(_ context.Context, _ map[string]any, _ []any, r *Results) error {
				r.Next()
				r.Null()
				return nil
			}},
		}},
	}}
}

// guard refuses Item.secret to everyone, Item.owned on items whose id is not "0", Item.kids on the
// item "5"; result checks refuse
// Query.node's Other "o2", the kid "4b" in Item.kids' lists, and the parent "4" read by Item.parent.
type guard struct{}

func (guard) FieldCheck(typ, field string) *Check {
	switch typ + "." + field {
	case "Item.secret":
		return &Check{Operation: func(context.Context) error { return errors.New("secret refused") }}
	case "Item.owned":
		return &Check{Parent: func(_ context.Context, p any) error {
			if p.(*item).id != "0" {
				return errors.New("not the owner")
			}
			return nil
		}}
	case "Query.node":
		return &Check{Result: func(_ context.Context, typ string, res any) error {
			if o, ok := res.(*other); ok && o.id == "o2" {
				if typ != "Other" {
					return fmt.Errorf("result check got type %q for an Other", typ)
				}
				return errors.New("result refused")
			}
			return nil
		}}
	case "Item.kids":
		return &Check{
			Parent: func(_ context.Context, p any) error {
				if p.(*item).id == "5" {
					return errors.New("kids of 5 refused")
				}
				return nil
			},
			Result: func(_ context.Context, typ string, res any) error {
				if typ == "Item" && res.(*item).id == "4b" {
					return errors.New("kid refused")
				}
				return nil
			},
		}
	case "Item.parent":
		return &Check{Result: func(_ context.Context, typ string, res any) error {
			if typ == "Item" && res.(*item).id == "4" {
				return errors.New("parent refused")
			}
			return nil
		}}
	}
	return nil
}

type observed struct {
	mu   sync.Mutex
	seen map[string][2]int
}

func (o *observed) FieldResolved(_ context.Context, typ string, def *ast.FieldDefinition, _ map[string]any, resolved, values int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := typ + "." + def.Name
	v := o.seen[k]
	o.seen[k] = [2]int{v[0] + resolved, v[1] + values}
}

type result struct {
	Data   string
	Errors []string // "path: message", sorted
}

func execute(t *testing.T, e *Engine, schema *ast.Schema, query string, vars map[string]any) result {
	t.Helper()
	doc, gerr := gqlparser.LoadQuery(schema, query)
	if gerr != nil {
		t.Fatalf("invalid test query: %v", gerr)
	}
	op := doc.Operations[0]
	coerced, err := validator.VariableValues(schema, op, vars)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: op, Variables: coerced, RawQuery: query}
	ctx := graphql.WithOperationContext(context.Background(), oc)
	ctx = graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	resp := e.Execute(ctx, oc)
	var out result
	var compact map[string]any
	if err := json.Unmarshal(resp.Data, &compact); err != nil && string(resp.Data) != "null" {
		t.Fatalf("data is not JSON: %v\n%s", err, resp.Data)
	}
	out.Data = string(resp.Data)
	for _, e := range graphql.GetErrors(ctx) {
		out.Errors = append(out.Errors, e.Path.String()+": "+e.Message)
	}
	sort.Strings(out.Errors)
	return out
}

func newTestEngine(t *testing.T, fx *fixture, opts ...Option) (*Engine, *ast.Schema) {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSDL})
	e, err := New(schema, fx.schema(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e, schema
}

func TestExecution(t *testing.T) {
	tests := []struct {
		name, query string
		vars        map[string]any
		want        result
		calls       []string // recorded resolver calls, sorted
	}{
		{
			name:  "aliases, __typename and fragments of every form",
			query: `query { a: items(n: 1) { ...F ... on Item { name } ... { t: __typename } } __typename } fragment F on Item { id ...G } fragment G on Node { id }`,
			want:  result{Data: `{"a":[{"id":"0","name":"name-0","t":"Item"}],"__typename":"Query"}`},
			calls: []string{"Query.items:1"},
		},
		{
			name:  "one call per (field, depth) across lists and branches",
			query: `{ x: items { kids { id kids { id } } } y: items(n: 1) { kids { id } } }`,
			want: result{Data: `{"x":[{"kids":[{"id":"0a","kids":[{"id":"0aa"},{"id":"0ab"}]},{"id":"0b","kids":[{"id":"0ba"},{"id":"0bb"}]}]},` +
				`{"kids":[{"id":"1a","kids":[{"id":"1aa"},{"id":"1ab"}]},{"id":"1b","kids":[{"id":"1ba"},{"id":"1bb"}]}]}],"y":[{"kids":[{"id":"0a"},{"id":"0b"}]}]}`},
			calls: []string{"Item.kids:3", "Item.kids:4", "Query.items:1", "Query.items:1"},
		},
		{
			name:  "skip and include with variables",
			query: `query($s: Boolean!, $i: Boolean = false) { items(n: 1) { id @skip(if: $s) name @include(if: $i) ... @include(if: true) { i2: id } } }`,
			vars:  map[string]any{"s": true},
			want:  result{Data: `{"items":[{"i2":"0"}]}`},
			calls: []string{"Query.items:1"},
		},
		{
			name:  "interfaces and unions",
			query: `{ search { __typename ... on Node { id } ... on Item { name } ... on Other { label } } n: node(id: "o1") { id ... on Other { label } } }`,
			want:  result{Data: `{"search":[{"__typename":"Item","id":"1","name":"name-1"},{"__typename":"Other","id":"o1","label":null}],"n":{"id":"o1","label":null}}`},
		},
		{
			name:  "a non-null field that is null nulls its parent, up to the nearest nullable one",
			query: `{ items(n: 1) { id kids { id broken } } }`,
			want: result{Data: `{"items":[{"id":"0","kids":null}]}`, Errors: []string{
				"items[0].kids[0].broken: cannot return null for non-null field Item.broken (String!): the value was nil",
				"items[0].kids[1].broken: cannot return null for non-null field Item.broken (String!): the value was nil",
			}},
			calls: []string{"Item.kids:1", "Query.items:1"},
		},
		{
			name:  "up to data",
			query: `{ strict { id } items(n: 1) { id } }`,
			want:  result{Data: `null`, Errors: []string{"strict: cannot return null for non-null field Query.strict (Item!): the value was nil"}},
			calls: []string{"Query.items:1"},
		},
		{
			name:  "per-parent and whole-call errors stay at their paths",
			query: `{ items(n: 3) { id kids { id } } maybe { id } }`,
			want: result{Data: `{"items":[{"id":"0","kids":[{"id":"0a"},{"id":"0b"}]},{"id":"err","kids":null},{"id":"2","kids":[{"id":"2a"},{"id":"2b"}]}],"maybe":null}`,
				Errors: []string{"items[1].kids: kids failed", "maybe: maybe failed"}},
			calls: []string{"Item.kids:3", "Query.items:1"},
		},
		{
			name:  "aliases of a field with the same arguments are one call, other arguments another",
			query: `{ a: items(n: 1) { id } b: items(n: 1) { id } c: items(n: 2) { id } }`,
			want:  result{Data: `{"a":[{"id":"0"}],"b":[{"id":"0"}],"c":[{"id":"0"},{"id":"1"}]}`},
			calls: []string{"Query.items:1", "Query.items:2"},
		},
		{
			name:  "a call of two fields, one refused on a parent",
			query: `{ a: items(n: 6) { id kids { id } } b: items(n: 1) { kids { id } } }`,
			want: result{Data: `{"a":[{"id":"0","kids":[{"id":"0a"},{"id":"0b"}]},{"id":"1","kids":[{"id":"1a"},{"id":"1b"}]},` +
				`{"id":"2","kids":[{"id":"2a"},{"id":"2b"}]},{"id":"3","kids":[{"id":"3a"},{"id":"3b"}]},` +
				`{"id":"4","kids":null},{"id":"5","kids":null}],"b":[{"kids":[{"id":"0a"},{"id":"0b"}]}]}`,
				Errors: []string{"a[4].kids[1]: kid refused", "a[5].kids: kids of 5 refused"}},
			calls: []string{"Item.kids:6", "Query.items:1", "Query.items:1"},
		},
		{
			name:  "plain fields below resolved ones",
			query: `{ items(n: 1) { kids { parent { id parent { id } } } } }`,
			want:  result{Data: `{"items":[{"kids":[{"parent":{"id":"0","parent":null}},{"parent":{"id":"0","parent":null}}]}]}`},
			calls: []string{"Item.kids:1", "Query.items:1"},
		},
		{
			name:  "authorization: per operation, per parent, per result",
			query: `{ items { id secret owned } a: node(id: "o1") { id } b: node(id: "o2") { id } }`,
			want: result{Data: `{"items":[{"id":"0","secret":null,"owned":"mine"},{"id":"1","secret":null,"owned":null}],"a":{"id":"o1"},"b":null}`,
				Errors: []string{"b: result refused", "items[0].secret: secret refused", "items[1].owned: not the owner", "items[1].secret: secret refused"}},
			calls: []string{"Query.items:1"},
		},
		{
			name:  "authorization: result checks on list items and on fields read from the parent",
			query: `{ items(n: 5) { id kids { id parent { id } } } }`,
			want: result{Data: `{"items":[{"id":"0","kids":[{"id":"0a","parent":{"id":"0"}},{"id":"0b","parent":{"id":"0"}}]},` +
				`{"id":"1","kids":[{"id":"1a","parent":{"id":"1"}},{"id":"1b","parent":{"id":"1"}}]},` +
				`{"id":"2","kids":[{"id":"2a","parent":{"id":"2"}},{"id":"2b","parent":{"id":"2"}}]},` +
				`{"id":"3","kids":[{"id":"3a","parent":{"id":"3"}},{"id":"3b","parent":{"id":"3"}}]},{"id":"4","kids":null}]}`,
				Errors: []string{"items[4].kids[0].parent: parent refused", "items[4].kids[1]: kid refused"}},
			calls: []string{"Item.kids:5", "Query.items:1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := &fixture{}
			e, schema := newTestEngine(t, fx, WithGuard(guard{}))
			got := execute(t, e, schema, tt.query, tt.vars)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			calls := slices.Sorted(slices.Values(fx.calls))
			if tt.calls != nil {
				if diff := cmp.Diff(tt.calls, calls); diff != "" {
					t.Errorf("resolver calls (-want +got):\n%s", diff)
				}
			}
			// The same operation again comes from the plan cache and answers the same.
			if again := execute(t, e, schema, tt.query, tt.vars); !cmp.Equal(got, again) {
				t.Errorf("second run differs:\n%+v\n%+v", got, again)
			}
		})
	}
}

func TestMutationRootFieldsRunInOrder(t *testing.T) {
	fx := &fixture{}
	e, schema := newTestEngine(t, fx)
	got := execute(t, e, schema, `mutation { a: push(v: 10) b: push(v: 20) c: push(v: 30) }`, nil)
	if want := `{"a":1,"b":2,"c":3}`; got.Data != want {
		t.Errorf("data %s, want %s", got.Data, want)
	}
	if diff := cmp.Diff([]int{10, 20, 30}, fx.pushes); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestObserverCountsPerLevel(t *testing.T) {
	fx := &fixture{}
	o := &observed{seen: map[string][2]int{}}
	e, schema := newTestEngine(t, fx, WithFieldObserver(o))
	execute(t, e, schema, `{ items(n: 3) { id kids { id } } }`, nil)
	want := map[string][2]int{"Query.items": {1, 3}, "Item.id": {7, 7}, "Item.kids": {3, 4}}
	if diff := cmp.Diff(want, o.seen); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}

func TestNewRefusesIncompleteBindings(t *testing.T) {
	fx := &fixture{}
	b := fx.schema()
	delete(b.Types[tItem].Fields, "kids")
	if _, err := New(gqlparser.MustLoadSchema(&ast.Source{Input: testSDL}), b); err == nil || !strings.Contains(err.Error(), "Item.kids") {
		t.Errorf("New = %v, want an error naming Item.kids", err)
	}
}

func TestWriterEscapesAsGQLGen(t *testing.T) {
	for _, s := range []string{"plain", `q"uo\te`, "tab\tnl\ncr\r", "\x01\x1f", "<b>&amp;</b>", "ünïcödé ☃"} {
		var w Writer
		w.String(s)
		var ref strings.Builder
		graphql.MarshalString(s).MarshalGQL(&ref)
		if string(w.buf) != ref.String() {
			t.Errorf("%q: wrote %s, gqlgen writes %s", s, w.buf, ref.String())
		}
	}
	var w Writer
	w.String("bad\xffutf8") // gqlgen passes the byte through; the engine writes valid JSON, as encoding/json
	var got string
	if err := json.Unmarshal(w.buf, &got); err != nil || !json.Valid(w.buf) || got != "bad\ufffdutf8" {
		t.Errorf("invalid UTF-8 written as %q (%v)", w.buf, err)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
