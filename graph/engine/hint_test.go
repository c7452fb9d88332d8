package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// operation returns the operation context of query with vars, and a response context for it.
func operation(t *testing.T, schema *ast.Schema, query string, vars map[string]any) (context.Context, *graphql.OperationContext) {
	t.Helper()
	doc, gerr := gqlparser.LoadQuery(schema, query)
	if gerr != nil {
		t.Fatalf("invalid test query: %v", gerr)
	}
	coerced, err := validator.VariableValues(schema, doc.Operations[0], vars)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: coerced, RawQuery: query}
	ctx := graphql.WithOperationContext(context.Background(), oc)
	return graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, graphql.DefaultRecover), oc
}

const hintQuery = `query($n: Int!) { items(n: $n) { id kids { id parent { id } kids { name } } } }`

// TestHintsSizeTheNextRun: an execution records what it needed, and the next one of the same size
// carves every slice from the slabs without growing any.
func TestHintsSizeTheNextRun(t *testing.T) {
	e, schema := newTestEngine(t, &fixture{})
	ctx, oc := operation(t, schema, hintQuery, map[string]any{"n": int64(4)})
	e.Execute(ctx, oc)
	p, err := e.planFor(oc)
	if err != nil {
		t.Fatal(err)
	}
	var objs []int32
	for i := range p.hints.objs {
		objs = append(objs, p.hints.objs[i].Load())
	}
	// root, items, items.kids, items.kids.parent, items.kids.kids
	if want := fmt.Sprint([]int32{1, 4, 8, 8, 16}); fmt.Sprint(objs) != want {
		t.Errorf("objects per position %v, want %s", objs, want)
	}
	if p.hints.data.Load() == 0 {
		t.Error("no data size recorded")
	}

	ctx, oc = operation(t, schema, hintQuery, map[string]any{"n": int64(4)})
	ctx, runner, end := e.batching.Begin(ctx)
	defer end()
	r := e.newRun(ctx, p, oc, runner)
	r.execute()
	for i := range r.objs {
		if n := int(p.hints.objs[i].Load()); cap(r.objs[i]) != n {
			t.Errorf("position %d: capacity %d, hint %d (grown or not carved)", i, cap(r.objs[i]), n)
		}
	}
	for i := range r.results {
		res, h := &r.results[i], &p.hints.results[i]
		for _, c := range []struct {
			name      string
			cap, hint int
		}{
			{"starts", cap(res.starts), int(h.starts.Load())},
			{"toks", cap(res.toks), int(h.toks.Load())},
			{"children", cap(res.children), int(h.children.Load())},
			{"leaf", cap(res.leaf.buf), int(h.leaf.Load())},
		} {
			if c.cap != c.hint {
				t.Errorf("results %d: %s capacity %d, hint %d", i, c.name, c.cap, c.hint)
			}
		}
	}
}

// TestHintsAreNotLimits: executions of one plan bigger and smaller than the one before answer as an
// engine without hints does.
func TestHintsAreNotLimits(t *testing.T) {
	e, schema := newTestEngine(t, &fixture{})
	for _, n := range []int{2, 6, 1, 5, 0, 3} {
		fresh, _ := newTestEngine(t, &fixture{})
		vars := map[string]any{"n": int64(n)}
		got, want := execute(t, e, schema, hintQuery, vars), execute(t, fresh, schema, hintQuery, vars)
		if got.Data != want.Data || fmt.Sprint(got.Errors) != fmt.Sprint(want.Errors) {
			t.Errorf("n=%d after other sizes:\n%+v\nwithout hints:\n%+v", n, got, want)
		}
	}
}

// TestResultLeavesHaveTheContext: leaves a resolver gives (enums and custom scalars marshal with the
// operation's context) are written with it.
func TestResultLeavesHaveTheContext(t *testing.T) {
	fx := &fixture{}
	b := fx.schema()
	b.Types[tQuery].Fields["search"] = &Field{Resolve: func(_ context.Context, _ map[string]any, _ []any, r *Results) error {
		r.Next()
		r.Null()
		return nil
	}}
	b.Types[tItem].Fields["name"] = &Field{Resolve: func(_ context.Context, _ map[string]any, parents []any, r *Results) error {
		for range parents {
			r.Next()
			s := r.LeafStart()
			w := r.Leaf()
			if graphql.GetOperationContext(w.Context()) == nil {
				return fmt.Errorf("no operation context")
			}
			w.String("ok")
			r.EndLeaf(s)
		}
		return nil
	}}
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSDL})
	e, err := New(schema, b)
	if err != nil {
		t.Fatal(err)
	}
	got := execute(t, e, schema, `{ items(n: 1) { name } }`, nil)
	if want := `{"items":[{"name":"ok"}]}`; got.Data != want || len(got.Errors) > 0 {
		t.Errorf("got %+v, want %s", got, want)
	}
}
