package engine

import (
	"fmt"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
)

// A plan is one operation, with the request's @skip/@include conditions applied, laid out for
// execution: per position in the response, per concrete type that can stand there, the fields to
// resolve and write, fragments of every form merged and aliases kept. It is made once per (document,
// operation, condition values) and cached (see Engine); nothing in it depends on the request otherwise.
type plan struct {
	op      *ast.OperationDefinition
	root    *objectPlan
	objects []*objectPlan // indexed by objectPlan.id
	fields  []*fieldPlan  // indexed by fieldPlan.id
	// introspection is set when the operation selects __schema or __type: gqlgen's executor runs it.
	introspection bool
	// checks are the Guard's checks per field (indexed by fieldPlan.id; nil without a Guard).
	checks []*Check
	// slots is the number of composite fields (fieldPlan.slot).
	slots int
	// resolvers is the number of fields with a resolver, depths how many of them stand at each depth,
	// width the most at one depth.
	resolvers int
	depths    []int
	width     int
	// hints are the sizes the plan's previous execution needed (hint.go).
	hints hints
}

// selectionPlan is a composite field's selection, per concrete type of its results.
type selectionPlan struct {
	byType map[TypeID]*objectPlan
	single *objectPlan // the one entry when the field's type is an object type
}

func (s *selectionPlan) forType(t TypeID) *objectPlan {
	if s.single != nil {
		return s.single
	}
	return s.byType[t]
}

// objectPlan is the merged selection on objects of one concrete type at one position.
type objectPlan struct {
	id     int
	typ    *Type
	def    *ast.Definition
	fields []*fieldPlan
}

// fieldPlan is one response key of an objectPlan: the fields merged under it.
type fieldPlan struct {
	id        int
	key       string
	keyJSON   []byte // `"key":`
	typename  bool   // __typename
	name      string
	qualified string // "Type.field", the name of its spans
	parent    *objectPlan
	def       *ast.FieldDefinition
	field     *ast.Field // the first field merged under key: arguments and location
	bind      *Field
	sub       *selectionPlan           // composite fields
	slot      int                      // composite fields: the index of their Results in a run
	argVars   []string                 // the variables its arguments use (args.go)
	args      atomic.Pointer[argCache] // its last coerced arguments (args.go)
	typ       *ast.Type
	loc       ast.Position
	depth     int    // fields on the response path, this one included
	path      string // the response path without list indexes, e.g. "users.nodes.reviews"
}

// composite reports whether f's value comes as Results (from Emit or Resolve) rather than written
// from the parent by Write.
func (f *fieldPlan) composite() bool { return f.bind != nil && f.bind.Write == nil }

type planner struct {
	schema *ast.Schema
	doc    *ast.QueryDocument
	types  map[string]*Type
	vars   map[string]any
	p      *plan
}

// makePlan plans op of doc against schema and the bound types, with vars deciding @skip/@include.
func makePlan(schema *ast.Schema, types map[string]*Type, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) (*plan, error) {
	pl := &planner{schema: schema, doc: doc, types: types, vars: vars, p: &plan{op: op}}
	var rootDef *ast.Definition
	switch op.Operation {
	case ast.Mutation:
		rootDef = schema.Mutation
	case ast.Query, "":
		rootDef = schema.Query
	default:
		return nil, fmt.Errorf("engine: %s operations are not supported", op.Operation)
	}
	if rootDef == nil {
		return nil, fmt.Errorf("engine: the schema has no %s type", op.Operation)
	}
	root, err := pl.object(rootDef, []ast.SelectionSet{op.SelectionSet}, true, 0, "")
	if err != nil {
		return nil, err
	}
	pl.p.root = root
	for _, f := range pl.p.fields {
		if !f.composite() {
			continue
		}
		f.slot = pl.p.slots
		pl.p.slots++
		if f.bind.Resolve != nil {
			for len(pl.p.depths) <= f.depth {
				pl.p.depths = append(pl.p.depths, 0)
			}
			pl.p.depths[f.depth]++
			pl.p.resolvers++
			pl.p.width = max(pl.p.width, pl.p.depths[f.depth])
		}
	}
	pl.p.hints = newHints(pl.p)
	return pl.p, nil
}

// object plans the selection sets sets (merged) on objects of type def.
func (pl *planner) object(def *ast.Definition, sets []ast.SelectionSet, isRoot bool, depth int, path string) (*objectPlan, error) {
	t := pl.types[def.Name]
	if t == nil {
		return nil, fmt.Errorf("engine: no binding for type %s", def.Name)
	}
	var err error
	op := &objectPlan{id: len(pl.p.objects), typ: t, def: def}
	pl.p.objects = append(pl.p.objects, op)
	var keys []string
	groups := map[string][]*ast.Field{}
	visited := map[string]bool{}
	for _, set := range sets {
		pl.collect(def, set, &keys, groups, visited)
	}
	for _, key := range keys {
		fields := groups[key]
		first := fields[0]
		f := &fieldPlan{
			id: len(pl.p.fields), key: key, keyJSON: appendQuoted(nil, key), name: first.Name,
			parent: op, field: first, loc: posOf(first), depth: depth + 1, path: key,
		}
		if path != "" {
			f.path = path + "." + key
		}
		f.keyJSON = append(f.keyJSON, ':')
		pl.p.fields = append(pl.p.fields, f)
		op.fields = append(op.fields, f)
		switch first.Name {
		case "__typename":
			f.typename = true
			continue
		case "__schema", "__type":
			if isRoot {
				pl.p.introspection = true
				continue
			}
		}
		f.qualified = def.Name + "." + first.Name
		f.def = def.Fields.ForName(first.Name)
		if f.def == nil {
			return nil, fmt.Errorf("engine: %s has no field %s", def.Name, first.Name)
		}
		f.typ = f.def.Type
		f.bind = t.Fields[first.Name]
		if f.bind == nil {
			return nil, fmt.Errorf("engine: no binding for %s.%s", def.Name, first.Name)
		}
		f.argVars = argVars(first)
		named := pl.schema.Types[f.typ.Name()]
		if named == nil || !isComposite(named) {
			continue
		}
		subSets := make([]ast.SelectionSet, 0, len(fields))
		for _, fd := range fields {
			if len(fd.SelectionSet) > 0 {
				subSets = append(subSets, fd.SelectionSet)
			}
		}
		sub := &selectionPlan{}
		if named.Kind == ast.Object {
			if sub.single, err = pl.object(named, subSets, false, f.depth, f.path); err != nil {
				return nil, err
			}
		} else {
			sub.byType = map[TypeID]*objectPlan{}
			for _, pt := range pl.schema.GetPossibleTypes(named) {
				o, err := pl.object(pt, subSets, false, f.depth, f.path)
				if err != nil {
					return nil, err
				}
				sub.byType[o.typ.ID] = o
			}
		}
		f.sub = sub
	}
	return op, nil
}

func isComposite(d *ast.Definition) bool {
	return d.Kind == ast.Object || d.Kind == ast.Interface || d.Kind == ast.Union
}

// collect adds the fields of set that apply to objects of type def to groups, by response key, in
// document order (CollectFields of the spec). visited holds the fragments spread so far.
func (pl *planner) collect(def *ast.Definition, set ast.SelectionSet, keys *[]string, groups map[string][]*ast.Field, visited map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !pl.included(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			if _, seen := groups[key]; !seen {
				*keys = append(*keys, key)
			}
			groups[key] = append(groups[key], s)
		case *ast.InlineFragment:
			if !pl.included(s.Directives) || !pl.applies(def, s.TypeCondition) {
				continue
			}
			pl.collect(def, s.SelectionSet, keys, groups, visited)
		case *ast.FragmentSpread:
			if !pl.included(s.Directives) || visited[s.Name] {
				continue
			}
			frag := pl.doc.Fragments.ForName(s.Name)
			if frag == nil || !pl.applies(def, frag.TypeCondition) {
				continue
			}
			visited[s.Name] = true
			pl.collect(def, frag.SelectionSet, keys, groups, visited)
		}
	}
}

// applies reports whether a fragment with type condition cond applies to objects of type def.
func (pl *planner) applies(def *ast.Definition, cond string) bool {
	if cond == "" || cond == def.Name {
		return true
	}
	ct := pl.schema.Types[cond]
	if ct == nil || ct.Kind == ast.Object {
		return false
	}
	for _, pt := range pl.schema.GetPossibleTypes(ct) {
		if pt.Name == def.Name {
			return true
		}
	}
	return false
}

// included applies @skip and @include.
func (pl *planner) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			continue
		}
		v, _ := arg.Value.Value(pl.vars)
		b, _ := v.(bool)
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false
		}
	}
	return true
}

func posOf(f *ast.Field) ast.Position {
	if f.Position == nil {
		return ast.Position{}
	}
	return *f.Position
}

// conditionKey returns the values of the operation's Boolean variables as a bit string: with the
// operation, it identifies the plan (only Boolean variables can decide @skip/@include). ok is false
// for an operation with more than 32 Boolean variables: its plans are not cached.
func conditionKey(op *ast.OperationDefinition, vars map[string]any) (key uint64, ok bool) {
	bit := 0
	for _, vd := range op.VariableDefinitions {
		if vd.Type == nil || vd.Type.Elem != nil || vd.Type.NamedType != "Boolean" {
			continue
		}
		if bit == 32 {
			return 0, false
		}
		switch vars[vd.Variable] {
		case true:
			key |= 1 << (2 * bit)
		case false:
			key |= 2 << (2 * bit)
		}
		bit++
	}
	return key, true
}

// check returns f's Check, nil when it has none.
func (p *plan) check(f *fieldPlan) *Check {
	if p.checks == nil {
		return nil
	}
	return p.checks[f.id]
}
