package cost

import (
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
