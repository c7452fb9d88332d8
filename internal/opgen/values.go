package opgen

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// variable is one variable of the operation.
type variable struct {
	name  string
	typ   *ast.Type
	def   string // the default as written, "" for none
	value any    // sent when send
	send  bool
}

func (b *builder) addVar(v *variable) *variable {
	b.varN++
	v.name = "v" + strconv.Itoa(b.varN)
	b.vars = append(b.vars, v)
	return v
}

// reuseVar returns a variable of exactly type t, or nil.
func (b *builder) reuseVar(t *ast.Type) *variable {
	var same []*variable
	for _, v := range b.vars {
		if v.typ.String() == t.String() {
			same = append(same, v)
		}
	}
	return pick(b.r, same)
}

// arguments writes the arguments of f on t: every required one, and each optional one half the time,
// as a literal or a variable.
func (b *builder) arguments(t *ast.Definition, f *ast.FieldDefinition) string {
	var parts []string
	for _, a := range f.Arguments {
		required := a.Type.NonNull && a.DefaultValue == nil
		if !required && !b.chance(0.5) {
			continue
		}
		site := ValueSite{Parent: t.Name, Field: f.Name, Name: a.Name, Type: a.Type}
		parts = append(parts, a.Name+": "+b.argument(site))
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// argument writes one argument's value: a literal, a variable used before, or a new variable (sent,
// left to its default, or null).
func (b *builder) argument(site ValueSite) string {
	if b.chance(0.6) {
		return b.literal(b.value(site), site.Type)
	}
	if v := b.reuseVar(site.Type); v != nil && b.chance(0.3) {
		return "$" + v.name
	}
	v := &variable{typ: site.Type, value: b.value(site), send: true}
	switch x := b.r.IntN(10); {
	case x < 2:
		v.def = b.literal(b.value(site), site.Type)
		v.send = false
	case x < 3:
		v.def = b.literal(b.value(site), site.Type)
	case x < 4 && !site.Type.NonNull:
		v.send = false // absent: the argument's own default, if any
	case x < 5 && !site.Type.NonNull:
		v.value = nil // explicitly null
	}
	return "$" + b.addVar(v).name
}

// value draws a value of site.Type: Config.Values's when it has one, else one of the type.
func (b *builder) value(site ValueSite) any {
	if b.g.cfg.Values != nil {
		if v, ok := b.g.cfg.Values(b.r, site); ok {
			return v
		}
	}
	t := site.Type
	if !t.NonNull && b.chance(0.05) {
		return nil
	}
	if t.Elem != nil {
		n := b.r.IntN(4)
		if t.NonNull {
			n = 1 + b.r.IntN(3)
		}
		out := make([]any, n)
		for i := range out {
			out[i] = b.value(ValueSite{Parent: site.Parent, Field: site.Field, Input: site.Input, Name: site.Name, Type: t.Elem})
		}
		return out
	}
	d := b.schema.Types[t.NamedType]
	if d == nil {
		return nil
	}
	switch d.Kind {
	case ast.Enum:
		return pick(b.r, d.EnumValues).Name
	case ast.InputObject:
		out := map[string]any{}
		for _, f := range d.Fields {
			if f.Type.NonNull && f.DefaultValue == nil || b.chance(0.5) {
				out[f.Name] = b.value(ValueSite{Input: d.Name, Name: f.Name, Type: f.Type})
			}
		}
		return out
	}
	switch t.NamedType {
	case "Int":
		return b.r.IntN(12) - 1
	case "Float":
		return float64(b.r.IntN(1000)) / 8
	case "Boolean":
		return b.chance(0.5)
	case "ID":
		return strconv.Itoa(b.r.IntN(20))
	default: // String and custom scalars
		return pick(b.r, []string{"", "a", "hello world", "ünïcødé", `quote " and \ slash`, "line\nbreak"})
	}
}

// literal writes v as a GraphQL value of type t.
func (b *builder) literal(v any, t *ast.Type) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = b.literal(e, t.Elem)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		d := b.schema.Types[t.Name()]
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			var ft *ast.Type
			if d != nil {
				if f := d.Fields.ForName(k); f != nil {
					ft = f.Type
				}
			}
			parts[i] = k + ": " + b.literal(v[k], ft)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case string:
		if t != nil {
			if d := b.schema.Types[t.Name()]; d != nil && d.Kind == ast.Enum {
				return v
			}
		}
		q, _ := json.Marshal(v) // JSON's escapes are GraphQL's
		return string(q)
	default:
		q, _ := json.Marshal(v)
		return string(q)
	}
}

// sortedTypeNames returns the schema's type names in order, so that a seed reproduces an operation.
func sortedTypeNames(s *ast.Schema) []string {
	names := make([]string, 0, len(s.Types))
	for n := range s.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// writeSet writes a selection set.
func writeSet(w *strings.Builder, sels []*sel) {
	w.WriteString(" {")
	for _, s := range sels {
		w.WriteByte(' ')
		switch s.kind {
		case selField:
			if s.alias != "" {
				w.WriteString(s.alias + ": ")
			}
			w.WriteString(s.name + s.args + s.dirs)
			if len(s.sub) > 0 {
				writeSet(w, s.sub)
			}
		case selInline:
			w.WriteString("...")
			if s.typeCond != "" {
				w.WriteString(" on " + s.typeCond)
			}
			w.WriteString(s.dirs)
			writeSet(w, s.sub)
		case selSpread:
			w.WriteString("..." + s.name + s.dirs)
		}
	}
	w.WriteString(" }")
}
