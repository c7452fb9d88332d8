package opgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/graph/generated"
)

func schema() *ast.Schema { return generated.NewExecutableSchema(generated.Config{}).Schema() }

func newGen(t testing.TB, cfg Config) *Generator {
	t.Helper()
	cfg.Schema = schema()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestMostlyValid: of the operations drawn, few are refused by the validator and generated again.
func TestMostlyValid(t *testing.T) {
	for name, cfg := range map[string]Config{
		"defaults":                   {MutationRate: 0.1},
		"deeper and larger (as e2e)": {MutationRate: 0.05, Depth: 8, Fields: 60, RootItems: 4},
	} {
		t.Run(name, func(t *testing.T) {
			g := newGen(t, cfg)
			r := rand.New(rand.NewPCG(1, 2))
			for range 1000 {
				g.Generate(r)
			}
			st := g.Stats()
			rate := float64(st.Invalid) / float64(st.Generated+st.Invalid)
			t.Logf("generated %d, invalid %d (%.2f%%)", st.Generated, st.Invalid, 100*rate)
			if rate > 0.02 {
				t.Errorf("%.2f%% of the operations drawn were invalid, want at most 2%%; last: %s", 100*rate, g.LastInvalid())
			}
		})
	}
}

// TestReproducible: a seed, or fuzz bytes, always give the same operation.
func TestReproducible(t *testing.T) {
	g := newGen(t, Config{MutationRate: 0.2})
	for seed := range uint64(20) {
		a := g.Generate(rand.New(rand.NewPCG(seed, 0)))
		b := g.Generate(rand.New(rand.NewPCG(seed, 0)))
		if a.Query != b.Query || fmt.Sprint(a.Variables) != fmt.Sprint(b.Variables) {
			t.Fatalf("seed %d: two operations:\n%s\n%s", seed, a.Query, b.Query)
		}
	}
	in := []byte("some fuzz input")
	if a, b := g.FromBytes(in), g.FromBytes(in); a.Query != b.Query {
		t.Fatalf("FromBytes: two operations:\n%s\n%s", a.Query, b.Query)
	}
}

// TestCovers: over a few hundred operations, every form the generator promises appears, and type
// conditions name every kind of composite type the schema has.
func TestCovers(t *testing.T) {
	t.Run("shop", func(t *testing.T) { covers(t, schema()) })
	// The schema with Relay's Node interface and a search union, as issue 12 adds them.
	abstract := gqlparser.MustLoadSchema(&ast.Source{Name: "abstract.graphql", Input: `
interface Node { id: ID! }
type User implements Node { id: ID! name: String! friends(first: Int = 2): [User!]! }
type Product implements Node { id: ID! upc: ID! price: Int! seller: User }
union SearchResult = User | Product
type Query { node(id: ID!): Node nodes(ids: [ID!]!): [Node]! search(text: String!, first: Int = 5): [SearchResult!]! }
type Mutation { rename(id: ID!, name: String!): User }
`})
	t.Run("abstract", func(t *testing.T) { covers(t, abstract) })
}

func covers(t *testing.T, s *ast.Schema) {
	g, err := New(Config{Schema: s, MutationRate: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	seen := map[string]int{}
	for range 500 {
		op := g.Generate(r)
		doc, errs := gqlparser.LoadQuery(s, op.Query)
		if len(errs) > 0 {
			t.Fatalf("invalid operation returned: %v\n%s", errs, op.Query)
		}
		o := doc.Operations[0]
		seen["operation "+string(o.Operation)]++
		if len(doc.Fragments) > 0 {
			seen["named fragment"]++
		}
		for _, v := range o.VariableDefinitions {
			if v.DefaultValue != nil {
				seen["variable with default"]++
			}
			if _, sent := op.Variables[v.Variable]; !sent {
				seen["variable not sent"]++
			}
		}
		var walk func(set ast.SelectionSet, depth int)
		walk = func(set ast.SelectionSet, depth int) {
			keys := map[string]string{}
			for _, sel := range set {
				switch sel := sel.(type) {
				case *ast.Field:
					if sel.Alias != sel.Name {
						seen["alias"]++
						if prev, ok := keys[sel.Alias]; ok && prev == sel.Name {
							seen["repeated response key"]++
						}
					}
					for _, a := range sel.Arguments {
						if a.Value.Kind == ast.Variable {
							seen["argument variable"]++
						}
					}
					if sel.Name == "__typename" {
						seen["__typename"]++
					}
					keys[sel.Alias] = sel.Name
					for _, d := range sel.Directives {
						seen["@"+d.Name]++
						if d.Arguments.ForName("if").Value.Kind == ast.Variable {
							seen["directive variable"]++
						}
					}
					walk(sel.SelectionSet, depth+1)
				case *ast.InlineFragment:
					if sel.ObjectDefinition != nil {
						seen["inline on "+string(sel.ObjectDefinition.Kind)]++
					}
					walk(sel.SelectionSet, depth)
				case *ast.FragmentSpread:
					seen["spread"]++
					if sel.Definition != nil {
						seen["fragment on "+string(sel.ObjectDefinition.Kind)]++
					}
				}
			}
		}
		walk(o.SelectionSet, 1)
		for _, f := range doc.Fragments {
			walk(f.SelectionSet, 1)
		}
	}
	want := []string{"operation query", "operation mutation", "named fragment", "variable with default",
		"variable not sent", "alias", "repeated response key", "argument variable", "__typename", "@skip",
		"@include", "directive variable", "spread", "inline on OBJECT", "fragment on OBJECT"}
	for _, kind := range []ast.DefinitionKind{ast.Interface, ast.Union} {
		for _, d := range s.Types {
			if d.Kind == kind && !strings.HasPrefix(d.Name, "__") {
				want = append(want, "inline on "+string(kind), "fragment on "+string(kind))
				break
			}
		}
	}
	for _, w := range want {
		if seen[w] == 0 {
			t.Errorf("no operation had %s", w)
		}
	}
	st := g.Stats()
	if st.Invalid*20 > st.Generated {
		t.Errorf("%d of %d operations drawn were invalid, want at most 5%%; last: %s", st.Invalid, st.Generated+st.Invalid, g.LastInvalid())
	}
	t.Log(st, seen)
}

// FuzzGenerate: any input gives an operation the validator accepts.
func FuzzGenerate(f *testing.F) {
	s := schema()
	g, err := New(Config{Schema: s, MutationRate: 0.1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add([]byte("query"))
	f.Fuzz(func(t *testing.T, in []byte) {
		op := g.FromBytes(in)
		if _, errs := gqlparser.LoadQuery(s, op.Query); len(errs) > 0 {
			t.Fatalf("invalid: %v\n%s", errs, op.Query)
		}
	})
}
