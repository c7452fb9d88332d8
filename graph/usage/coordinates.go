package usage

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/internal/opmemo"
)

// Deprecation is one deprecated schema element an operation uses.
type Deprecation struct {
	// Coordinate is the element's schema coordinate (User.name, User.reviews(first:), Status.OLD).
	Coordinate string `json:"coordinate"`
	// Reason is the @deprecated reason.
	Reason string `json:"reason"`
}

// opInfo is what one operation of a validated document uses, computed once per document.
type opInfo struct {
	// coords are the schema coordinates the operation uses, sorted and unique: the types it selects
	// from and its variables' types, each field (Type.field), each argument given
	// (Type.field(arg:)), each enum value (Enum.VALUE) and input field (Input.field) written in
	// the document. Values given in variables are not seen.
	coords []string
	// deprecated are the coordinates among coords whose element is @deprecated, sorted.
	deprecated []Deprecation
}

// infos caches each operation's opInfo with its document (package opmemo): once per cached document,
// dropped when the document is collected.
type infos struct {
	schema *ast.Schema
	memo   opmemo.Memo[*opInfo]
}

func (c *infos) get(doc *ast.QueryDocument, op *ast.OperationDefinition) *opInfo {
	return c.memo.Get(op, func() *opInfo { return collect(c.schema, doc, op) })
}

// collect walks op (with the fragments of doc it spreads) and returns what it uses.
func collect(schema *ast.Schema, doc *ast.QueryDocument, op *ast.OperationDefinition) *opInfo {
	w := walker{schema: schema, doc: doc, coords: map[string]string{}, fragments: map[string]bool{}}
	for _, v := range op.VariableDefinitions {
		if v.Type != nil {
			w.typ(v.Type.Name())
		}
		if v.DefaultValue != nil {
			w.value(v.DefaultValue)
		}
	}
	w.selections(op.SelectionSet)
	info := &opInfo{coords: make([]string, 0, len(w.coords))}
	for c, reason := range w.coords {
		info.coords = append(info.coords, c)
		if reason != "" {
			info.deprecated = append(info.deprecated, Deprecation{Coordinate: c, Reason: reason})
		}
	}
	slices.Sort(info.coords)
	slices.SortFunc(info.deprecated, func(a, b Deprecation) int { return strings.Compare(a.Coordinate, b.Coordinate) })
	return info
}

// walker collects coordinates, each with its deprecation reason ("" when not deprecated).
type walker struct {
	schema    *ast.Schema
	doc       *ast.QueryDocument
	coords    map[string]string
	fragments map[string]bool // spread already walked
}

func (w *walker) add(coord string, directives ast.DirectiveList) {
	reason := ""
	if d := directives.ForName("deprecated"); d != nil {
		reason = "No longer supported"
		if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
			reason = a.Value.Raw
		}
	}
	w.coords[coord] = reason
}

func (w *walker) typ(name string) {
	if def := w.schema.Types[name]; def != nil && !def.BuiltIn {
		w.add(name, def.Directives)
	}
}

func (w *walker) selections(set ast.SelectionSet) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			w.field(s)
		case *ast.InlineFragment:
			w.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			if w.fragments[s.Name] {
				continue
			}
			w.fragments[s.Name] = true
			if f := w.doc.Fragments.ForName(s.Name); f != nil {
				w.selections(f.SelectionSet)
			}
		}
	}
}

func (w *walker) field(f *ast.Field) {
	if f.Definition == nil || f.ObjectDefinition == nil || strings.HasPrefix(f.Name, "__") {
		return // __typename, and __schema and __type, below which are introspection types only
	}
	parent := f.ObjectDefinition.Name
	w.typ(parent)
	coord := parent + "." + f.Name
	w.add(coord, f.Definition.Directives)
	for _, a := range f.Arguments {
		if def := f.Definition.Arguments.ForName(a.Name); def != nil {
			w.add(coord+"("+a.Name+":)", def.Directives)
		}
		w.value(a.Value)
	}
	w.selections(f.SelectionSet)
}

// value records the enum values and input fields written in v.
func (w *walker) value(v *ast.Value) {
	if v == nil {
		return
	}
	switch v.Kind {
	case ast.EnumValue:
		if v.Definition != nil {
			if ev := v.Definition.EnumValues.ForName(v.Raw); ev != nil {
				w.add(v.Definition.Name+"."+v.Raw, ev.Directives)
			}
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			if v.Definition != nil {
				w.typ(v.Definition.Name)
				if fd := v.Definition.Fields.ForName(c.Name); fd != nil {
					w.add(v.Definition.Name+"."+c.Name, fd.Directives)
				}
			}
			w.value(c.Value)
		}
	case ast.ListValue:
		for _, c := range v.Children {
			w.value(c.Value)
		}
	}
}
