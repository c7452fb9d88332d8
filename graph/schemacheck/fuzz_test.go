package schemacheck

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// FuzzDiff: any two schemas that load compare without a panic; a schema compared with itself has no
// change, and every change has a level.
func FuzzDiff(f *testing.F) {
	f.Add("type Query { a: Int }", "type Query { a: Int! b(x: Int = 1): [String] }")
	f.Add("type Query { u: U } type U { id: ID @deprecated } enum E { A B }", "type Query { u: U } interface N { id: ID } type U implements N { id: ID } enum E { A }")
	f.Add("input I @oneOf { a: Int } type Query { f(i: I): Int } directive @d(x: Int) repeatable on FIELD", "input I { a: Int! } type Query { f(i: I!): Int } union S = Query")
	f.Fuzz(func(t *testing.T, a, b string) {
		old, err := gqlparser.LoadSchema(&ast.Source{Name: "a", Input: a})
		if err != nil {
			return
		}
		new, err := gqlparser.LoadSchema(&ast.Source{Name: "b", Input: b})
		if err != nil {
			return
		}
		for _, c := range Diff(old, new) {
			if c.Level.rank() > 2 || c.Level == "" || c.Kind == "" || c.Coordinate == "" {
				t.Fatalf("change without a level, kind or coordinate: %+v", c)
			}
		}
		if same := Diff(old, old); len(same) != 0 {
			t.Fatalf("a schema against itself: %v", same)
		}
	})
}

// FuzzOperations: any document checks against a schema without a panic.
func FuzzOperations(f *testing.F) {
	f.Add(`query Q($id: ID!) { user(id: $id) { ...F } } fragment F on User { id name }`)
	f.Add(`{ user(id: "1") { ... on User { email } } }`)
	f.Add(`fragment A on User { ...B } fragment B on User { ...A } { user(id: 1) { ...A } }`)
	schema := gqlparser.MustLoadSchema(&ast.Source{Name: "s", Input: userSchema})
	f.Fuzz(func(t *testing.T, doc string) {
		_ = Operations(schema, []Document{{Source: "fuzz.graphql", Body: doc}, {Source: "other.graphql", Body: "fragment F on User { id }"}})
	})
}
