package cost

import (
	"context"
	"math"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/graph/engine"
)

var _ engine.FieldObserver = (*Extension)(nil)

// FieldResolved implements engine.FieldObserver: the actual cost of a field the engine resolved on
// resolved objects, returning values non-null values: per resolution its own weight and the weights
// of the arguments given, plus its type's weight per value returned — what countField adds per
// resolution under gqlgen's executor, summed over a level at once.
func (e *Extension) FieldResolved(ctx context.Context, typ string, def *ast.FieldDefinition, args map[string]any, resolved, values int) {
	st := stateOf(ctx)
	if st == nil || e.model == nil {
		return
	}
	r := e.model.byDef[def]
	if r == nil {
		r = e.model.rule(typ, def.Name, def)
	}
	per := r.own
	for name, w := range r.args {
		if v, ok := args[name]; ok && v != nil && !isNilPointer(v) {
			per += w
		}
	}
	c := per*float64(resolved) + r.typeWeight*float64(values)
	if c > 0 {
		st.actualMilli.Add(int64(math.Round(c * 1000)))
	}
}
