package cost

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"
)

// FuzzCalculate prices arbitrary documents twice, with the list size variable $n at a and at b >= a:
// the calculator must never panic, and the cost must never decrease when a list grows.
func FuzzCalculate(f *testing.F) {
	for _, q := range []string{
		`query($n: Int) { top(first: $n) { id } }`,
		`query($n: Int) { users(first: $n) { edges { node { items(first: $n) { id } } } nodes { name } } }`,
		`query($n: Int) { a: search(first: $n) { id } b: loose(last: $n, first: 2) { score } }`,
		`query($n: Int) { node(id: "x") { ... on User { items(first: $n) { id } } ... on Item { score } } }`,
		`query($n: Int) { media { ... on User { items(first: $n) { ...I } } } } fragment I on Item { id score }`,
		`query($n: Int, $s: Boolean = false) { grid { id } top(first: $n) @skip(if: $s) { id } expensive }`,
		`query($n: Int) { __schema { types { fields { args { name } } } } top(first: $n) { __typename } }`,
		`mutation($n: Int!) { add(n: $n) { id } }`,
	} {
		f.Add(q, uint32(1), uint32(3))
	}
	m := testModel(f)
	f.Fuzz(func(t *testing.T, query string, a, b uint32) {
		if a > b {
			a, b = b, a
		}
		doc, errs := gqlparser.LoadQuery(m.schema, query)
		if errs != nil || len(doc.Operations) == 0 {
			return
		}
		op := doc.Operations[0]
		costAt := func(n uint32) (int, bool) {
			vars, err := validator.VariableValues(m.schema, op, map[string]any{"n": int64(n)})
			if err != nil {
				return 0, false
			}
			res, gerr := m.Calculate(op, vars, true)
			if gerr != nil {
				return 0, false
			}
			if res.Cost < 0 {
				t.Fatalf("negative cost %d", res.Cost)
			}
			return res.Cost, true
		}
		lo, ok1 := costAt(a)
		hi, ok2 := costAt(b)
		if ok1 && ok2 && hi < lo {
			t.Fatalf("cost fell from %d to %d when $n grew from %d to %d", lo, hi, a, b)
		}
	})
}
