package cost

import (
	"fmt"
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/trellisgw/trellis/graph/generated"
)

// BenchmarkCalculateReference prices the reference query of DESIGN.md against the real schema: the
// work the extension adds to every request before execution.
func BenchmarkCalculateReference(b *testing.B) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	m, err := NewModel(schema, Config{})
	if err != nil {
		b.Fatal(err)
	}
	q, err := os.ReadFile("../../e2e/testdata/reference.graphql")
	if err != nil {
		b.Fatal(err)
	}
	doc, gerr := gqlparser.LoadQuery(schema, string(q))
	if gerr != nil {
		b.Fatal(gerr)
	}
	op := doc.Operations[0]
	b.ReportAllocs()
	for b.Loop() {
		if res, err := m.Calculate(op, nil, false); err != nil || res.Cost != 44526 {
			b.Fatalf("cost %d, %v", res.Cost, err)
		}
	}
}

// TestExponentialFragmentsArePricedCheaply: fragments that spread the next one under two aliases
// expand 2^24 times; pricing stops once the cost passes the maximum instead of walking them all.
func TestExponentialFragmentsArePricedCheaply(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	m, err := NewModel(schema, Config{})
	if err != nil {
		t.Fatal(err)
	}
	const depth = 24
	q := "{ user(id: \"1\") { ...F0 } }\n"
	for i := range depth {
		next := fmt.Sprintf("...F%d", i+1)
		if i == depth-1 {
			next = "id"
		}
		q += fmt.Sprintf("fragment F%d on User { a: reviews(first: 1) { author { %s } } b: reviews(first: 1) { author { %s } } }\n", i, next, next)
	}
	doc, gerr := gqlparser.LoadQuery(schema, q)
	if gerr != nil {
		t.Skipf("the validator refuses it first: %v", gerr)
	}
	res, cerr := m.Calculate(doc.Operations[0], nil, false)
	if cerr != nil {
		t.Fatal(cerr)
	}
	if !res.Partial || res.Cost != 1000001 {
		t.Errorf("result %+v, want partial at 1000001", res)
	}
}
