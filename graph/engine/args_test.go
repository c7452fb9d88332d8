package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestArgumentsCoercedOncePerValues: a field's arguments are coerced once per plan and values of the
// variables they use; a variable left out is not the same value as null.
func TestArgumentsCoercedOncePerValues(t *testing.T) {
	fx := &fixture{}
	b := fx.schema()
	var mu sync.Mutex
	var coerced []string // the raw arguments of each coercion
	items := b.Types[tQuery].Fields["items"]
	items.Args = func(_ context.Context, raw map[string]any) (map[string]any, error) {
		mu.Lock()
		coerced = append(coerced, fmt.Sprint(raw))
		mu.Unlock()
		if raw["n"] == nil {
			return map[string]any{"n": int64(1)}, nil
		}
		return raw, nil
	}
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSDL})
	e, err := New(schema, b)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // two documents, each executed twice
		ctx, oc := operation(t, schema, `{ items(n: 2) { id } }`, nil)
		e.Execute(ctx, oc)
		e.Execute(ctx, oc)
	}
	const q = `query($n: Int) { items(n: $n) { id } }`
	_, doc := operation(t, schema, q, nil)
	for _, vars := range []map[string]any{{"n": int64(1)}, {"n": int64(1)}, {"n": int64(3)}, {"n": int64(1)}, {"n": nil}, {"n": nil}, {}, {}} {
		// One document (as the executor's cache gives it), the variables of each request.
		ctx, oc := operation(t, schema, q, vars)
		oc.Doc, oc.Operation = doc.Doc, doc.Operation
		e.Execute(ctx, oc)
	}
	// Parsed twice, { items(n: 2) } is two documents, each coerced once; absent, $n leaves n to its
	// default.
	want := []string{"map[n:2]", "map[n:2]", "map[n:1]", "map[n:3]", "map[n:1]", "map[n:<nil>]", "map[n:2]"}
	if diff := cmp.Diff(want, coerced); diff != "" {
		t.Errorf("coercions (-want +got):\n%s", diff)
	}
}
