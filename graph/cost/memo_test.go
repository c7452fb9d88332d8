package cost

import (
	"context"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// calculate reports a result as varying exactly when a variable decided part of it.
func TestCalculateReportsVariablesRead(t *testing.T) {
	m := testModel(t)
	tests := []struct {
		name  string
		query string
		want  bool
	}{
		{"no variables", `{ top(first: 2) { id } }`, false},
		{"a variable no price reads", `query($id: ID!) { node(id: $id) { id } }`, false},
		{"a variable slicing a list", `query($n: Int) { top(first: $n) { id } }`, true},
		{"a variable in @skip", `query($s: Boolean!) { top(first: 1) @skip(if: $s) { id } }`, true},
		{"a variable in a weighted argument", `query($f: String) { expensive(filter: $f) }`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(m.schema, tt.query)
			if errs != nil {
				t.Fatal(errs)
			}
			_, varying, gerr := m.calculate(doc.Operations[0], nil, false)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if varying != tt.want {
				t.Errorf("varying = %v, want %v", varying, tt.want)
			}
		})
	}
}

// The extension prices an operation once when its cost needs no variable, and per request when it
// does: a cached document sized by a variable is priced with each request's value.
func TestPriceOncePerOperationWithoutVariables(t *testing.T) {
	e := &Extension{model: testModel(t)}
	fixed, errs := gqlparser.LoadQuery(e.model.schema, `query($id: ID!) { top(first: 2) { id } node(id: $id) { id } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	sized, errs := gqlparser.LoadQuery(e.model.schema, `query($n: Int) { top(first: $n) { id } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	for range 2 {
		if res, err := e.price(fixed.Operations[0], map[string]any{"id": "1"}, false); err != nil || res.Cost != 2*3+1 {
			t.Fatalf("fixed: cost %d, %v; want %d", res.Cost, err, 2*3+1)
		}
	}
	if n := e.prices.Len(); n != 1 {
		t.Errorf("%d prices kept after the fixed operation, want 1", n)
	}
	for _, n := range []int{1, 4} {
		vars, err := validator.VariableValues(e.model.schema, sized.Operations[0], map[string]any{"n": n})
		if err != nil {
			t.Fatal(err)
		}
		if res, gerr := e.price(sized.Operations[0], vars, false); gerr != nil || res.Cost != n*3 {
			t.Errorf("sized by %d: cost %d, %v; want %d", n, res.Cost, gerr, n*3)
		}
	}
	if n := e.prices.Len(); n != 1 {
		t.Errorf("%d prices kept after the sized operation, want 1 (it depends on its variables)", n)
	}
	// A breakdown is computed afresh, with its fields.
	if res, err := e.price(fixed.Operations[0], nil, true); err != nil || len(res.Fields) == 0 {
		t.Errorf("breakdown: %+v, %v; want its fields", res, err)
	}
}

// Recording an operation's requested cost allocates nothing: the attribute options are made once.
func TestRecordRequestedAllocatesNothing(t *testing.T) {
	e := NewExtension(Config{})
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() { e.requested.Record(ctx, 5, operationAttr(ast.Query)...) }); n != 0 {
		t.Errorf("Record allocates %v times, want 0", n)
	}
}
