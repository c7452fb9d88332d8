package cost

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// Model is the per-field pricing of one schema, built once by NewModel. It is immutable and safe for
// concurrent use.
type Model struct {
	schema          *ast.Schema
	byDef           map[*ast.FieldDefinition]*fieldRule
	possible        map[string]map[string]bool
	defaultListSize float64
	maxCost         float64
}

// fieldRule is how one field definition is priced.
type fieldRule struct {
	own        float64            // the field's own weight, paid once per resolution
	typeWeight float64            // paid once per object (or value) returned
	listDepth  int                // list wrappers around the named type
	args       map[string]float64 // weights of arguments with a @cost, nil when none
	sized      bool               // @listSize present
	slicing    []string           // slicing argument names
	assumed    float64            // assumedSize; -1 when not set
	sizedOn    map[string]bool    // child fields that take this field's size (sizedFields)
	requireOne bool
	def        *ast.FieldDefinition
}

// NewModel reads the cost directives of schema. cfg's zero fields take their defaults. It fails on a
// directive with an invalid argument (a weight that is not a finite number >= 0, a slicing argument the
// field does not have), naming the schema coordinate.
func NewModel(schema *ast.Schema, cfg Config) (*Model, error) {
	if schema == nil {
		return nil, errors.New("cost: no schema")
	}
	cfg = cfg.WithDefaults()
	m := &Model{
		schema:          schema,
		byDef:           map[*ast.FieldDefinition]*fieldRule{},
		possible:        map[string]map[string]bool{},
		defaultListSize: float64(cfg.DefaultListSize),
		maxCost:         float64(cfg.MaxCost),
	}
	var errs []error
	typeWeights := map[string]float64{}
	for name, def := range schema.Types {
		w, ok, err := weightOf(def.Directives)
		if err != nil {
			errs = append(errs, fmt.Errorf("type %s: %w", name, err))
		}
		switch {
		case ok:
			typeWeights[name] = w
		case def.Kind == ast.Object || def.Kind == ast.Interface || def.Kind == ast.Union:
			typeWeights[name] = 1
		default:
			typeWeights[name] = 0
		}
		if def.IsAbstractType() {
			set := map[string]bool{}
			for _, p := range schema.GetPossibleTypes(def) {
				set[p.Name] = true
			}
			m.possible[name] = set
		}
	}
	introspection := introspectionSizes(schema)
	for name, def := range schema.Types {
		for _, f := range def.Fields {
			r, err := newRule(f, typeWeights, name == mutationName(schema), float64(cfg.MutationWeight))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.%s: %w", name, f.Name, err))
				continue
			}
			if size, ok := introspection[name+"."+f.Name]; ok && !r.sized {
				r.assumed = size
			}
			m.byDef[f] = r
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("cost directives: %w", err)
	}
	return m, nil
}

func mutationName(s *ast.Schema) string {
	if s.Mutation == nil {
		return ""
	}
	return s.Mutation.Name
}

func newRule(f *ast.FieldDefinition, typeWeights map[string]float64, mutation bool, mutationWeight float64) (*fieldRule, error) {
	r := &fieldRule{def: f, assumed: -1, typeWeight: typeWeights[f.Type.Name()]}
	for t := f.Type; t != nil && t.Elem != nil; t = t.Elem {
		r.listDepth++
	}
	w, ok, err := weightOf(f.Directives)
	if err != nil {
		return nil, err
	}
	switch {
	case ok:
		r.own = w
	case mutation:
		r.own = mutationWeight
	}
	for _, a := range f.Arguments {
		w, ok, err := weightOf(a.Directives)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", a.Name, err)
		}
		if ok {
			if r.args == nil {
				r.args = map[string]float64{}
			}
			r.args[a.Name] = w
		}
	}
	ls := f.Directives.ForName("listSize")
	if ls == nil {
		return r, nil
	}
	r.sized, r.requireOne = true, true
	for _, a := range ls.Arguments {
		v := a.Value
		switch a.Name {
		case "assumedSize":
			if v.Kind == ast.IntValue {
				n, err := strconv.Atoi(v.Raw)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("@listSize(assumedSize: %s): must be an Int >= 0", v.Raw)
				}
				r.assumed = float64(n)
			}
		case "slicingArguments":
			for _, c := range v.Children {
				name := c.Value.Raw
				if f.Arguments.ForName(name) == nil {
					return nil, fmt.Errorf("@listSize(slicingArguments): the field has no argument %q", name)
				}
				r.slicing = append(r.slicing, name)
			}
		case "sizedFields":
			r.sizedOn = map[string]bool{}
			for _, c := range v.Children {
				r.sizedOn[c.Value.Raw] = true
			}
		case "requireOneSlicingArgument":
			r.requireOne = v.Raw != "false"
		}
	}
	return r, nil
}

// weightOf returns the weight of the @cost among dirs, and whether there is one.
func weightOf(dirs ast.DirectiveList) (float64, bool, error) {
	d := dirs.ForName("cost")
	if d == nil {
		return 0, false, nil
	}
	a := d.Arguments.ForName("weight")
	if a == nil || a.Value == nil {
		return 0, false, errors.New("@cost: weight is required")
	}
	w, err := strconv.ParseFloat(a.Value.Raw, 64)
	if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		return 0, false, fmt.Errorf("@cost(weight: %q): must be a finite decimal number >= 0", a.Value.Raw)
	}
	return w, true, nil
}

// introspectionSizes returns the list sizes of the introspection fields in schema: the number of its
// types and directives, and the most fields, arguments, enum values, … any one type or field has. An
// introspection query is thereby priced at what it could return from this schema.
func introspectionSizes(s *ast.Schema) map[string]float64 {
	var fields, inputFields, enumValues, interfaces, possible, args, dirArgs int
	for _, t := range s.Types {
		switch t.Kind {
		case ast.InputObject:
			inputFields = max(inputFields, len(t.Fields))
		case ast.Enum:
			enumValues = max(enumValues, len(t.EnumValues))
		default:
			fields = max(fields, len(t.Fields))
		}
		interfaces = max(interfaces, len(t.Interfaces))
		if t.IsAbstractType() {
			possible = max(possible, len(s.GetPossibleTypes(t)))
		}
		for _, f := range t.Fields {
			args = max(args, len(f.Arguments))
		}
	}
	for _, d := range s.Directives {
		dirArgs = max(dirArgs, len(d.Arguments))
	}
	return map[string]float64{
		"__Schema.types":        float64(len(s.Types)),
		"__Schema.directives":   float64(len(s.Directives)),
		"__Type.fields":         float64(fields),
		"__Type.inputFields":    float64(inputFields),
		"__Type.enumValues":     float64(enumValues),
		"__Type.interfaces":     float64(interfaces),
		"__Type.possibleTypes":  float64(possible),
		"__Field.args":          float64(args),
		"__Directive.args":      float64(dirArgs),
		"__Directive.locations": 20,
	}
}

// rule returns the rule of field name on the concrete type typ, falling back to def (a field of an
// interface, or an introspection root field) priced by its type alone.
func (m *Model) rule(typ, name string, def *ast.FieldDefinition) *fieldRule {
	if t := m.schema.Types[typ]; t != nil {
		if own := t.Fields.ForName(name); own != nil {
			if r := m.byDef[own]; r != nil {
				return r
			}
		}
	}
	if def != nil {
		if r := m.byDef[def]; r != nil {
			return r
		}
		r := &fieldRule{def: def, assumed: -1}
		if t := m.schema.Types[def.Type.Name()]; t != nil {
			if t.Kind == ast.Object || t.IsAbstractType() {
				r.typeWeight = 1
			}
			if w, ok, err := weightOf(t.Directives); ok && err == nil {
				r.typeWeight = w
			}
		}
		for t := def.Type; t != nil && t.Elem != nil; t = t.Elem {
			r.listDepth++
		}
		return r
	}
	return &fieldRule{assumed: -1}
}
