package graph

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// fieldsCanMergeRule replaces gqlparser's OverlappingFieldsCanBeMerged, which compares every pair of
// fields of a response name and so is quadratic in repeated fields: 4 900 copies of `name` took
// 0.85 s, and 2 000 siblings `user(id: "1") … user(id: "2") …` 2 million comparisons and as many
// errors. This one decides the same rule (the spec's FieldsInSetCanMerge) with the grouping
// algorithm of Xing (graphql-java, Sangria, apollo-compiler): the fields of one response name are
// checked against the first of them, and their subselections are merged into one set and checked
// the same way, level by level. Its work grows with the number of fields once fragments are
// expanded, which the limits (server.limits.max_fields) bound before validation runs.
//
// It reports at most one conflict per response name and level, and every conflict once.
var fieldsCanMergeRule = core.Rule{Name: "OverlappingFieldsCanBeMerged", RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
	var m *mergeChecker
	start := func(w *core.Walker) {
		if m == nil {
			m = newMergeChecker(w.Schema, w.Document, addError)
		}
	}
	observers.OnOperation(func(w *core.Walker, op *ast.OperationDefinition) {
		start(w)
		m.checkSet(op.SelectionSet, rootType(w.Schema, op.Operation))
	})
	observers.OnFragment(func(w *core.Walker, f *ast.FragmentDefinition) {
		start(w)
		m.checkSet(f.SelectionSet, w.Schema.Types[f.TypeCondition])
	})
}}

// maxMergeWork bounds the field occurrences one document's check visits. Abstract parent types make
// a field join several groups; a schema with many of them could otherwise multiply the work.
const maxMergeWork = 1 << 20

func rootType(s *ast.Schema, op ast.Operation) *ast.Definition {
	switch op {
	case ast.Mutation:
		return s.Mutation
	case ast.Subscription:
		return s.Subscription
	}
	return s.Query
}

// occurrence is one field selected on a parent type, fragments expanded.
type occurrence struct {
	field  *ast.Field
	parent *ast.Definition      // nil: an unknown type
	def    *ast.FieldDefinition // nil: not a field of parent (FieldsOnCorrectType reports it)
	// expanding are the fragments the field is inside of, outermost first: spreading one of them again
	// below the field is a cycle.
	expanding []string
}

// fieldGroups are the occurrences of a selection set by response name, in document order.
type fieldGroups struct {
	names  []string
	byName map[string][]occurrence
	// spread are the fragments already expanded into the set, by parent type: spreading one again
	// adds the very same fields, which merge with themselves, so it is skipped.
	spread map[spreadKey]bool
}

type spreadKey struct {
	fragment string
	parent   *ast.Definition
}

func (g *fieldGroups) add(o occurrence) {
	name := o.field.Alias
	if name == "" {
		name = o.field.Name
	}
	if _, ok := g.byName[name]; !ok {
		g.names = append(g.names, name)
	}
	g.byName[name] = append(g.byName[name], o)
}

type mergeChecker struct {
	schema   *ast.Schema
	frags    map[string]*ast.FragmentDefinition
	addError core.AddErrFunc
	reported map[[2]*ast.Field]bool
	work     int
	tooMuch  bool
}

func newMergeChecker(s *ast.Schema, doc *ast.QueryDocument, addError core.AddErrFunc) *mergeChecker {
	frags := make(map[string]*ast.FragmentDefinition, len(doc.Fragments))
	for _, f := range doc.Fragments {
		if _, ok := frags[f.Name]; !ok { // the first of duplicate names, as the walker does
			frags[f.Name] = f
		}
	}
	return &mergeChecker{schema: s, frags: frags, addError: addError, reported: map[[2]*ast.Field]bool{}}
}

// checkSet checks one selection set of the document (an operation's or a fragment's).
func (m *mergeChecker) checkSet(set ast.SelectionSet, parent *ast.Definition) {
	g := m.newGroups()
	m.collect(&g, set, parent, nil)
	m.checkGroups(g)
}

func (m *mergeChecker) newGroups() fieldGroups {
	return fieldGroups{byName: map[string][]occurrence{}, spread: map[spreadKey]bool{}}
}

func (m *mergeChecker) checkGroups(g fieldGroups) {
	for _, name := range g.names {
		occs := g.byName[name]
		m.sameResponseShape(name, occs)
		m.sameForCommonParents(name, occs)
	}
}

// collect adds the fields of set, selected on parent, to g (parent is nil for an unknown type:
// KnownTypeNames reports it, and its fields are still compared, as graphql-js does); fragments are expanded (a fragment
// already being expanded, a cycle, is skipped: NoFragmentCycles reports it). expanding are the
// fragments set is inside of.
func (m *mergeChecker) collect(g *fieldGroups, set ast.SelectionSet, parent *ast.Definition, expanding []string) {
	for _, sel := range set {
		if m.spend() {
			return
		}
		switch sel := sel.(type) {
		case *ast.Field:
			g.add(occurrence{field: sel, parent: parent, def: m.fieldDef(parent, sel.Name), expanding: expanding})
		case *ast.InlineFragment:
			typ := parent
			if sel.TypeCondition != "" {
				typ = m.schema.Types[sel.TypeCondition]
			}
			m.collect(g, sel.SelectionSet, typ, expanding)
		case *ast.FragmentSpread:
			f := m.frags[sel.Name]
			if f == nil || slices.Contains(expanding, sel.Name) {
				continue
			}
			typ := m.schema.Types[f.TypeCondition]
			if key := (spreadKey{sel.Name, typ}); !g.spread[key] {
				g.spread[key] = true
				m.collect(g, f.SelectionSet, typ, append(slices.Clip(expanding), sel.Name))
			}
		}
	}
}

// spend counts one unit of work and reports whether the budget is exhausted (reported once).
func (m *mergeChecker) spend() bool {
	m.work++
	if m.work > maxMergeWork && !m.tooMuch {
		m.tooMuch = true
		m.addError(core.Message("The operation is too complex to validate."))
	}
	return m.tooMuch
}

var (
	typenameDef = &ast.FieldDefinition{Name: "__typename", Type: ast.NonNullNamedType("String", nil)}
	schemaDef   = &ast.FieldDefinition{Name: "__schema", Type: ast.NonNullNamedType("__Schema", nil)}
	typeDef     = &ast.FieldDefinition{Name: "__type", Type: ast.NamedType("__Type", nil),
		Arguments: ast.ArgumentDefinitionList{{Name: "name", Type: ast.NonNullNamedType("String", nil)}}}
)

func (m *mergeChecker) fieldDef(parent *ast.Definition, name string) *ast.FieldDefinition {
	switch {
	case name == "__typename":
		return typenameDef
	case parent == nil:
		return nil
	case name == "__schema" && parent == m.schema.Query:
		return schemaDef
	case name == "__type" && parent == m.schema.Query:
		return typeDef
	}
	return parent.Fields.ForName(name)
}

// subfields merges the selection sets of occs into one set of groups.
func (m *mergeChecker) subfields(occs []occurrence) fieldGroups {
	g := m.newGroups()
	for _, o := range occs {
		var typ *ast.Definition
		if o.def != nil {
			typ = m.schema.Types[o.def.Type.Name()]
		}
		m.collect(&g, o.field.SelectionSet, typ, o.expanding)
	}
	return g
}

// sameResponseShape: every field of a response name, whatever its parent, must have a response of
// the same shape (the spec's SameResponseShape), subfields included.
func (m *mergeChecker) sameResponseShape(name string, occs []occurrence) {
	first := -1
	for i, o := range occs {
		if o.def == nil {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if a, b := occs[first], o; !m.sameShape(a.def.Type, b.def.Type) {
			m.conflict(name, a, b, fmt.Sprintf("they return conflicting types %q and %q", a.def.Type.String(), b.def.Type.String()))
			return
		}
	}
	if first < 0 {
		return
	}
	sub := m.subfields(occs)
	for _, n := range sub.names {
		m.sameResponseShape(name+"."+n, sub.byName[n])
	}
}

// sameShape compares two types up to the leaves: the same lists and non-nulls, the same scalar or
// enum; any two composite types have the same shape at this level.
func (m *mergeChecker) sameShape(a, b *ast.Type) bool {
	for {
		if a.NonNull != b.NonNull || (a.Elem == nil) != (b.Elem == nil) {
			return false
		}
		if a.Elem == nil {
			break
		}
		a, b = a.Elem, b.Elem
	}
	da, db := m.schema.Types[a.NamedType], m.schema.Types[b.NamedType]
	if da == nil || db == nil {
		return true // an unknown type is KnownTypeNames' to report
	}
	if da.IsLeafType() || db.IsLeafType() {
		return a.NamedType == b.NamedType
	}
	return true
}

// sameForCommonParents: fields of a response name that can be selected on the same object (same
// parent type, or an abstract one) must be the same field with the same arguments, and so on for
// their merged subfields (the spec's SameForCommonParents).
func (m *mergeChecker) sameForCommonParents(name string, occs []occurrence) {
	var objects []string
	byObject := map[string][]occurrence{}
	var abstract []occurrence
	for _, o := range occs {
		// A field of an unknown type, or unknown to its type, may be selected on any object (as in
		// gqlparser and graphql-js's tests); FieldsOnCorrectType or KnownTypeNames reports it too.
		if o.def == nil || o.parent == nil || o.parent.Kind != ast.Object {
			abstract = append(abstract, o)
			continue
		}
		if _, ok := byObject[o.parent.Name]; !ok {
			objects = append(objects, o.parent.Name)
		}
		byObject[o.parent.Name] = append(byObject[o.parent.Name], o)
	}
	if len(objects) == 0 {
		m.commonParent(name, abstract)
		return
	}
	for _, obj := range objects {
		m.commonParent(name, append(slices.Clip(byObject[obj]), abstract...))
	}
}

func (m *mergeChecker) commonParent(name string, occs []occurrence) {
	a := occs[0]
	for _, b := range occs[1:] {
		if m.spend() {
			return
		}
		if a.field.Name != b.field.Name {
			m.conflict(name, a, b, fmt.Sprintf("%q and %q are different fields", a.field.Name, b.field.Name))
			return
		}
		if !sameArguments(a.field.Arguments, b.field.Arguments) {
			m.conflict(name, a, b, "they have differing arguments")
			return
		}
	}
	sub := m.subfields(occs)
	for _, n := range sub.names {
		m.sameForCommonParents(name+"."+n, sub.byName[n])
	}
}

// sameArguments compares two argument lists regardless of order, by value as written.
func sameArguments(a, b ast.ArgumentList) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		y := b.ForName(x.Name)
		if y == nil || !sameValue(x.Value, y.Value) {
			return false
		}
	}
	return true
}

func sameValue(a, b *ast.Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Raw != b.Raw || len(a.Children) != len(b.Children) {
		return false
	}
	if a.Kind == ast.ObjectValue {
		for _, ca := range a.Children {
			var cb *ast.ChildValue
			for _, c := range b.Children {
				if c.Name == ca.Name {
					cb = c
					break
				}
			}
			if cb == nil || !sameValue(ca.Value, cb.Value) {
				return false
			}
		}
		return true
	}
	for i := range a.Children {
		if !sameValue(a.Children[i].Value, b.Children[i].Value) {
			return false
		}
	}
	return true
}

// conflict reports that a and b, fields of the response name path, cannot be merged, once per pair.
func (m *mergeChecker) conflict(path string, a, b occurrence, reason string) {
	key := [2]*ast.Field{a.field, b.field}
	if m.reported[key] {
		return
	}
	m.reported[key] = true
	m.addError(
		core.Message(`Fields %q conflict because %s. Use different aliases on the fields to fetch both if this was intentional.`, path, reason),
		core.At(a.field.Position),
		core.At(b.field.Position),
	)
}
