package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
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

// TestSameDocumentConcurrentVariables: one cached document executed concurrently with different
// variables answers each request with its own (arguments coerced once per plan and values, and
// grouped by value, never leak from one request to another).
func TestSameDocumentConcurrentVariables(t *testing.T) {
	const q = `query($n: Int, $m: Int, $id: ID!) {
  a: items(n: $n) { id kids { id } }
  b: items(n: $m) { id }
  node(id: $id) { id ... on Item { name } }
}`
	varsOf := func(i int) map[string]any {
		vars := map[string]any{"n": int64(i%4 + 1), "id": fmt.Sprint("x", i%5)}
		if i%3 != 0 {
			vars["m"] = int64(i%2 + 1)
		}
		return vars
	}
	const distinct = 60 // lcm of 4, 5, 3 and 2
	want := make([]result, distinct)
	for i := range want {
		e, schema := newTestEngine(t, &fixture{})
		want[i] = execute(t, e, schema, q, varsOf(i))
	}
	e, schema := newTestEngine(t, &fixture{})
	_, shared := operation(t, schema, q, varsOf(0))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for n := range 60 {
				i := (n*7 + g*13) % distinct
				ctx, oc := operation(t, schema, q, varsOf(i))
				oc.Doc, oc.Operation = shared.Doc, shared.Operation // the executor's cached document
				resp := e.Execute(ctx, oc)
				got := result{Data: string(resp.Data)}
				for _, err := range graphql.GetErrors(ctx) {
					got.Errors = append(got.Errors, err.Path.String()+": "+err.Message)
				}
				slices.Sort(got.Errors)
				if !cmp.Equal(want[i], got) {
					t.Errorf("goroutine %d, run %d, variables %v:\n%s", g, n, varsOf(i), cmp.Diff(want[i], got))
					return
				}
			}
		})
	}
	wg.Wait()
}
