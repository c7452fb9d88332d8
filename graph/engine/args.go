package engine

import (
	"encoding/json"

	"github.com/vektah/gqlparser/v2/ast"
)

// A field's arguments are coerced (Field.Args, gqlgen's generated coercion: a map, the values boxed,
// defaults applied) once per plan and values of the variables they use, not once per execution: the
// plan keeps the last coercion with those values, and an execution whose variables hold the same ones
// takes it. The coerced maps are therefore shared by concurrent executions: resolvers and observers
// read them and never write to them (as gqlgen's own executor assumes of field arguments).

// argCache is a field's coerced arguments for the values vals of the variables it uses.
type argCache struct {
	vals []any
	args map[string]any
}

// absent stands for a variable the request did not give (not the same as null: a missing argument
// takes its default).
type absent struct{}

// argVars returns the names of the variables f's arguments use, in order, repeated ones included.
func argVars(f *ast.Field) []string {
	var names []string
	var walk func(v *ast.Value)
	walk = func(v *ast.Value) {
		if v == nil {
			return
		}
		if v.Kind == ast.Variable {
			names = append(names, v.Raw)
		}
		for _, c := range v.Children {
			walk(c.Value)
		}
	}
	for _, a := range f.Arguments {
		walk(a.Value)
	}
	return names
}

// coerce returns f's coerced arguments for the run's variables, from the plan when they were coerced
// for the same values before.
func (r *run) coerce(f *fieldPlan) (map[string]any, error) {
	vars := r.oc.Variables
	if c := f.args.Load(); c != nil && sameValues(c.vals, f.argVars, vars) {
		return c.args, nil
	}
	args, err := f.bind.Args(r.ctx, f.field.ArgumentMap(vars))
	if err != nil {
		return nil, err
	}
	if vals, ok := cacheable(f.argVars, vars); ok {
		f.args.Store(&argCache{vals: vals, args: args})
	}
	return args, nil
}

// sameValues reports whether vars holds vals for the variables names.
func sameValues(vals []any, names []string, vars map[string]any) bool {
	for i, name := range names {
		if varValue(vars, name) != vals[i] { // vals holds scalars: another dynamic type compares unequal
			return false
		}
	}
	return true
}

// varValue is the value of the variable name in vars, absent{} when vars lacks it.
func varValue(vars map[string]any, name string) any {
	if v, ok := vars[name]; ok {
		return v
	}
	return absent{}
}

// cacheable returns the values of the variables names in vars; ok is false when one is not a scalar
// (lists and input objects are not compared: their coercion is not kept).
func cacheable(names []string, vars map[string]any) (vals []any, ok bool) {
	vals = make([]any, len(names))
	for i, name := range names {
		v := varValue(vars, name)
		if !scalar(v) {
			return nil, false
		}
		vals[i] = v
	}
	return vals, true
}

// scalar reports whether v is a comparable scalar as variable coercion leaves them.
func scalar(v any) bool {
	switch v.(type) {
	case nil, absent, string, bool, int, int32, int64, float64, json.Number:
		return true
	}
	return false
}
