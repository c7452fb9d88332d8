package cost

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// Pricing stops once the cost passes stopFactor × Config.MaxCost, or after maxVisits fields (fragments
// expanded): an operation up to ten times over the maximum is told its exact cost, and one that spreads
// fragments under several aliases to expand exponentially costs at most ~100 ms to refuse.
const (
	stopFactor = 10
	maxVisits  = 200_000
)

// maxReported caps reported costs: beyond it every cost is "too much" and float precision is lost.
const maxReported = 1e15

// Result is the requested cost of one operation.
type Result struct {
	// Cost is the requested cost, rounded up to an integer.
	Cost int
	// Fields is the per-field breakdown, in document order; only when asked for.
	Fields []FieldCost
	// Partial reports that pricing stopped once the cost passed ten times Config.MaxCost (or after
	// 200 000 fields): Cost is then 10 × Config.MaxCost + 1, a lower bound, and Fields is incomplete.
	Partial bool
}

// FieldCost is one field's share of an operation's cost, over all its resolutions.
type FieldCost struct {
	// Path is the field's response path, aliases included, list levels omitted (e.g. users.nodes.name).
	Path string `json:"path"`
	// Count is how many times the field is expected to resolve: the product of the list sizes above it.
	Count float64 `json:"count"`
	// Size is the list size of one resolution (1 for a field that is not a list).
	Size float64 `json:"size"`
	// Own is what the field itself adds: (own weight + argument weights + size × type weight) × Count.
	Own float64 `json:"own"`
	// Total is Own plus the Total of every field below it; the Totals of the root fields add up to the
	// operation's cost.
	Total float64 `json:"total"`
}

// Calculate prices op, an operation of a document validated against the model's schema, with vars,
// its coerced variable values. breakdown asks for Result.Fields. It returns a GRAPHQL_VALIDATION_FAILED
// error when a field breaks its requireOneSlicingArgument.
func (m *Model) Calculate(op *ast.OperationDefinition, vars map[string]any, breakdown bool) (Result, *gqlerror.Error) {
	res, _, err := m.calculate(op, vars, breakdown)
	return res, err
}

// calculate is Calculate, and also reports whether the result depends on vars: false when pricing
// read no variable (none decides a list size, an argument's weight or a @skip/@include), so that the
// result holds for every request of the operation.
func (m *Model) calculate(op *ast.OperationDefinition, vars map[string]any, breakdown bool) (res Result, varying bool, err *gqlerror.Error) {
	if op == nil {
		return Result{}, false, nil
	}
	root := m.schema.Query
	switch op.Operation {
	case ast.Mutation:
		root = m.schema.Mutation
	case ast.Subscription:
		root = m.schema.Subscription
	}
	if root == nil {
		return Result{}, false, nil
	}
	c := &calc{m: m, vars: vars, breakdown: breakdown}
	total := capped(c.selection(op.SelectionSet, root, nil, 1, 1, ""))
	if c.err != nil {
		return Result{}, c.usedVars, c.err
	}
	if c.stopped {
		// Far over the maximum (or too large to price): refused whatever the rest would add. One value
		// for every such operation keeps the cost monotonic in the list sizes.
		return Result{Cost: ceil(stopFactor*c.m.maxCost) + 1, Partial: true, Fields: c.fields}, c.usedVars, nil
	}
	return Result{Cost: ceil(total), Fields: c.fields}, c.usedVars, nil
}

// capped bounds v to [0, maxReported], so that products of sizes never reach +Inf (and Inf × 0, NaN).
func capped(v float64) float64 {
	if v != v || v > maxReported {
		return maxReported
	}
	return v
}

// ceil rounds a cost up to an int, capped at maxReported.
func ceil(v float64) int {
	if v != v || v >= maxReported { // NaN cannot happen with weights >= 0, but never report it
		return maxReported
	}
	return int(math.Ceil(v - 1e-9))
}

type calc struct {
	m         *Model
	vars      map[string]any
	breakdown bool
	// spent adds up what each visited field adds itself (its Own): the cost so far. Once it passes
	// stopFactor × the maximum, or the walk has visited maxVisits fields, the walk stops: fragments
	// spread under several aliases can expand a small document exponentially, and pricing must stay
	// cheap.
	spent   float64
	visits  int
	stopped bool
	fields  []FieldCost
	err     *gqlerror.Error
	// usedVars is set once a variable's value is read: the result is then the variables' own.
	usedVars bool
}

// group is the fields of one response key, merged as the executor merges them.
type group struct {
	key    string
	fields []*ast.Field
}

// selection returns the cost of set on typ, once. sizedOn names child fields that take size instead
// of their own (a connection's edges and nodes); count is how many times set is resolved.
func (c *calc) selection(set ast.SelectionSet, typ *ast.Definition, sizedOn map[string]bool, size, count float64, path string) float64 {
	if !typ.IsAbstractType() {
		return c.concrete(set, typ, sizedOn, size, count, path)
	}
	// The most expensive possible type decides; its breakdown is the one kept.
	best, bestFields := 0.0, []FieldCost(nil)
	start, spent, bestSpent := len(c.fields), c.spent, c.spent
	for i, t := range c.m.schema.GetPossibleTypes(typ) {
		c.spent = spent // members are alternatives: only the dearest one adds up
		v := c.concrete(set, t, sizedOn, size, count, path)
		if c.stopped {
			return v
		}
		bestSpent = max(bestSpent, c.spent)
		if i == 0 || v > best {
			best = v
			bestFields = append([]FieldCost(nil), c.fields[start:]...)
		}
		c.fields = c.fields[:start]
	}
	c.fields = append(c.fields, bestFields...)
	c.spent = bestSpent
	return best
}

func (c *calc) concrete(set ast.SelectionSet, typ *ast.Definition, sizedOn map[string]bool, size, count float64, path string) float64 {
	groups := make([]group, 0, len(set))
	c.collect(set, typ, &groups)
	total := 0.0
	for _, g := range groups {
		total += c.field(g, typ, sizedOn[g.fields[0].Name], size, count, path)
		if c.err != nil {
			return 0
		}
		if c.stopped {
			return capped(total)
		}
	}
	return capped(total)
}

// collect appends the fields of set that apply to the object type typ, grouped by response key.
func (c *calc) collect(set ast.SelectionSet, typ *ast.Definition, groups *[]group) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !c.included(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			found := false
			for i := range *groups {
				if (*groups)[i].key == key {
					(*groups)[i].fields = append((*groups)[i].fields, s)
					found = true
					break
				}
			}
			if !found {
				*groups = append(*groups, group{key: key, fields: []*ast.Field{s}})
			}
		case *ast.InlineFragment:
			if c.included(s.Directives) && c.applies(s.TypeCondition, typ) {
				c.collect(s.SelectionSet, typ, groups)
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && c.included(s.Directives) && c.applies(s.Definition.TypeCondition, typ) {
				c.collect(s.Definition.SelectionSet, typ, groups)
			}
		}
	}
}

func (c *calc) applies(cond string, typ *ast.Definition) bool {
	return cond == "" || cond == typ.Name || c.m.possible[cond][typ.Name]
}

// included evaluates @skip and @include.
func (c *calc) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil {
			continue
		}
		v := a.Value.Raw == "true"
		if a.Value.Kind == ast.Variable {
			c.usedVars = true
			b, _ := c.vars[a.Value.Raw].(bool)
			v = b
		}
		if (d.Name == "skip") == v {
			return false
		}
	}
	return true
}

// field returns the cost of one response key on typ, over count resolutions of its parent.
func (c *calc) field(g group, typ *ast.Definition, sizedByParent bool, parentSize, count float64, path string) float64 {
	f := g.fields[0]
	if f.Name == "__typename" {
		return 0
	}
	r := c.m.rule(typ.Name, f.Name, f.Definition)
	if c.breakdown { // paths cost an allocation per field: only for the breakdown
		if path != "" {
			path += "."
		}
		path += g.key
	}

	args := 0.0
	for name, w := range r.args {
		if v, ok := c.argument(f, name); ok && v != nil {
			args += w
		}
	}
	// mult: objects returned per resolution; childSize: what sizedFields below take.
	mult, childSize := 1.0, 1.0
	if r.sized {
		n, err := c.sliceSize(f, r)
		if err != nil {
			c.err = err
			return 0
		}
		childSize = n
		if len(r.sizedOn) == 0 {
			mult = n
		} else if r.listDepth > 0 {
			mult = c.m.defaultListSize
		}
		for i := 1; i < r.listDepth; i++ {
			mult *= c.m.defaultListSize
		}
	} else if r.listDepth > 0 {
		mult = c.m.defaultListSize
		if sizedByParent {
			mult = parentSize
		} else if r.assumed >= 0 {
			mult = r.assumed
		}
		for i := 1; i < r.listDepth; i++ {
			mult *= c.m.defaultListSize
		}
	}

	mult = capped(mult)
	var child map[string]bool
	if r.sized {
		child = r.sizedOn
	}
	own := capped(r.own + args + mult*r.typeWeight)
	c.visits++
	if c.spent = capped(c.spent + own*count); c.spent > stopFactor*c.m.maxCost || c.visits > maxVisits {
		c.stopped = true
		return own
	}
	at := len(c.fields)
	if c.breakdown {
		c.fields = append(c.fields, FieldCost{Path: path, Count: count, Size: mult})
	}
	children := 0.0
	if len(f.SelectionSet) > 0 {
		if t := c.m.schema.Types[f.Definition.Type.Name()]; t != nil {
			set := f.SelectionSet
			if len(g.fields) > 1 {
				set = nil
				for _, gf := range g.fields {
					set = append(set, gf.SelectionSet...)
				}
			}
			children = c.selection(set, t, child, childSize, capped(count*mult), path)
		}
	}
	total := capped(own + mult*children)
	if c.breakdown {
		c.fields[at].Own = capped(own * count)
		c.fields[at].Total = capped(total * count)
	}
	return total
}

// sliceSize returns the list size of f from its slicing arguments, its assumedSize or the default,
// and enforces requireOneSlicingArgument.
func (c *calc) sliceSize(f *ast.Field, r *fieldRule) (float64, *gqlerror.Error) {
	given, size := 0, -1.0
	for _, name := range r.slicing {
		v, explicit := c.argument(f, name)
		if explicit && v != nil {
			given++
		}
		if explicit && v == nil { // an explicit null: the resolvers take the default
			if def := f.Definition.Arguments.ForName(name); def != nil && def.DefaultValue != nil {
				v = literal(def.DefaultValue)
			}
		}
		if n, ok := toSize(v); ok && n > size {
			size = n
		}
	}
	if r.requireOne && len(r.slicing) > 0 {
		withDefault := false
		for _, name := range r.slicing {
			if a := f.Definition.Arguments.ForName(name); a != nil && a.DefaultValue != nil && a.DefaultValue.Kind != ast.NullValue {
				withDefault = true
			}
		}
		if given > 1 || (given == 0 && !withDefault) {
			e := errcode.New(errcode.ValidationFailed, fmt.Sprintf(
				"field %q must be given exactly one of the arguments %s: it bounds the size of the list",
				f.Name, strings.Join(r.slicing, ", ")))
			if f.Position != nil {
				e.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
			}
			return 0, e
		}
	}
	switch {
	case size >= 0:
		return size, nil
	case r.assumed >= 0:
		return r.assumed, nil
	}
	return c.m.defaultListSize, nil
}

// argument returns the value of f's argument name (its default when not given) and whether the
// operation gave it (a literal or a variable with a value).
func (c *calc) argument(f *ast.Field, name string) (any, bool) {
	if a := f.Arguments.ForName(name); a != nil {
		if a.Value.Kind == ast.Variable {
			c.usedVars = true
			if v, ok := c.vars[a.Value.Raw]; ok {
				return v, true
			}
		} else {
			return literal(a.Value), true
		}
	}
	if def := f.Definition.Arguments.ForName(name); def != nil && def.DefaultValue != nil {
		return literal(def.DefaultValue), false
	}
	return nil, false
}

// literal returns the value of a literal the sizes need: ints as float64, a list as its length
// (a list argument slices a list to its own length: Query.nodes(ids:)), null as nil, anything else as
// its raw text.
func literal(v *ast.Value) any {
	switch v.Kind {
	case ast.NullValue:
		return nil
	case ast.ListValue:
		return float64(len(v.Children))
	case ast.IntValue, ast.FloatValue:
		n, err := strconv.ParseFloat(v.Raw, 64)
		if err != nil {
			return float64(maxReported) // out of range: as large as it gets
		}
		return n
	}
	return v.Raw
}

// toSize converts a slicing argument's value to a list size >= 0.
func toSize(v any) (float64, bool) {
	var n float64
	switch x := v.(type) {
	case float64:
		n = x
	case int:
		n = float64(x)
	case int32:
		n = float64(x)
	case int64:
		n = float64(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, false
		}
		n = f
	case []any: // a list variable: its length
		n = float64(len(x))
	default:
		return 0, false
	}
	if n != n {
		return 0, false
	}
	return capped(max(n, 0)), true
}
