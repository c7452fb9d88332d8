package opgen

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// sel is one selection as written: a field, an inline fragment or a fragment spread.
type sel struct {
	kind     selKind
	alias    string // fields: "" when not aliased
	name     string // fields: the field's name; spreads: the fragment's name
	args     string // fields: the written arguments, "(…)" or ""
	dirs     string // the written directives, " @skip(if: …)" or ""
	typeCond string // inline fragments: "" for none
	sub      []*sel
	def      *ast.FieldDefinition // fields
	parent   *ast.Definition      // fields: the type the field is selected on
	cost     counts               // fragments expanded, this selection included
}

type selKind int

const (
	selField selKind = iota
	selInline
	selSpread
)

// counts are the budgets a selection uses, fragments expanded.
type counts struct{ aliases, directives, depth, fields int }

// add adds o, a selection of the same set, to c.
func (c *counts) add(o counts) {
	c.aliases += o.aliases
	c.directives += o.directives
	c.depth = max(c.depth, o.depth)
	c.fields += o.fields
}

// fragment is a named fragment defined by the operation.
type fragment struct {
	name, on string
	sub      []*sel
	scope    *scope // the response keys it may bring into a selection set (a superset)
	cost     counts
}

// scope records the response keys of one merged selection set, so that two selections under one key
// always merge (same field, same arguments, same type; their sub-selections in one child scope).
// It may hold more keys than the set has (a fragment's scope holds those of where it was made), which
// only makes the generator stricter than the OverlappingFieldsCanBeMerged rule.
type scope struct{ keys map[string]*entry }

type entry struct {
	name, args, typ string
	child           *scope
}

func newScope() *scope { return &scope{keys: map[string]*entry{}} }

func (s *scope) clone() *scope {
	c := newScope()
	for k, e := range s.keys {
		ce := *e
		if e.child != nil {
			ce.child = e.child.clone()
		}
		c.keys[k] = &ce
	}
	return c
}

// compatible reports whether every key of o merges with the same key of s.
func (s *scope) compatible(o *scope) bool {
	for k, oe := range o.keys {
		se, ok := s.keys[k]
		if !ok {
			continue
		}
		if se.name != oe.name || se.args != oe.args || se.typ != oe.typ {
			return false
		}
		if se.child != nil && oe.child != nil && !se.child.compatible(oe.child) {
			return false
		}
	}
	return true
}

// merge adds o's keys to s (s.compatible(o) holds).
func (s *scope) merge(o *scope) {
	for k, oe := range o.keys {
		se, ok := s.keys[k]
		if !ok {
			ce := *oe
			if oe.child != nil {
				ce.child = oe.child.clone()
			}
			s.keys[k] = &ce
			continue
		}
		if se.child != nil && oe.child != nil {
			se.child.merge(oe.child)
		}
	}
}

// builder makes one operation.
type builder struct {
	g      *Generator
	r      *rand.Rand
	schema *ast.Schema
	kind   ast.Operation

	vars     []*variable
	frags    []*fragment
	fields   int // field selections written
	used     counts
	aliasN   int
	fragN    int
	varN     int
	building int // fragments being built (not yet spreadable again)
}

func newBuilder(g *Generator, r *rand.Rand, kind ast.Operation) *builder {
	return &builder{g: g, r: r, schema: g.cfg.Schema, kind: kind}
}

// chance reports true with probability p.
func (b *builder) chance(p float64) bool { return b.r.Float64() < p }

// operation generates the whole operation on root.
func (b *builder) operation(root *ast.Definition) Operation {
	sc := newScope()
	sels, _ := b.selectionSet(root, sc, 1, 1+b.r.IntN(b.g.cfg.RootItems))
	var w strings.Builder
	w.WriteString(string(b.kind))
	w.WriteString(" Generated")
	vals := map[string]any{}
	if len(b.vars) > 0 {
		w.WriteByte('(')
		for i, v := range b.vars {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString("$" + v.name + ": " + v.typ.String())
			if v.def != "" {
				w.WriteString(" = " + v.def)
			}
			if v.send {
				vals[v.name] = v.value
			}
		}
		w.WriteByte(')')
	}
	writeSet(&w, sels)
	for _, f := range b.frags {
		w.WriteString("\nfragment " + f.name + " on " + f.on)
		writeSet(&w, f.sub)
	}
	return Operation{Query: w.String(), OperationName: "Generated", Variables: vals, Kind: b.kind}
}

// selectionSet generates up to want selections (at least one) on t at depth (its fields' depth), into
// sc. It returns them with the budget they use.
func (b *builder) selectionSet(t *ast.Definition, sc *scope, depth, want int) ([]*sel, counts) {
	var out []*sel
	var c counts
	for range want {
		s := b.selection(t, sc, depth, out)
		if s == nil {
			continue
		}
		out = append(out, s)
		c.add(s.cost)
	}
	if len(out) == 0 {
		s := b.typename(sc)
		out = append(out, s)
		c.add(s.cost)
	}
	return out, c
}

// selection generates one selection on t, or nil when the one drawn does not fit.
func (b *builder) selection(t *ast.Definition, sc *scope, depth int, siblings []*sel) *sel {
	if b.fields >= b.g.cfg.Fields {
		return nil
	}
	switch x := b.r.IntN(100); {
	case x < 50:
		return b.newField(t, sc, depth, "")
	case x < 57:
		return b.typename(sc)
	case x < 70:
		return b.inline(t, sc, depth)
	case x < 84:
		return b.spread(t, sc, depth)
	case x < 92:
		// The same selection again: it merges with itself.
		if s := pick(b.r, siblings); s != nil && s.kind == selField && b.fits(s.cost) {
			b.used.add(s.cost)
			return s
		}
	default:
		// The same field under another alias, with other arguments.
		if s := pick(b.r, siblings); s != nil && s.kind == selField && s.def != nil && len(s.def.Arguments) > 0 {
			return b.field(s.parent, s.def, sc, depth, b.newAlias())
		}
	}
	return nil
}

// fits reports whether c more fits the budgets.
func (b *builder) fits(c counts) bool {
	l := b.g.cfg.Limits
	return b.used.aliases+c.aliases <= l.Aliases && b.used.directives+c.directives <= l.Directives
}

func (b *builder) newAlias() string {
	if b.used.aliases >= b.g.cfg.Limits.Aliases {
		return ""
	}
	b.aliasN++
	return "a" + strconv.Itoa(b.aliasN)
}

func pick[T any](r *rand.Rand, s []T) T {
	var zero T
	if len(s) == 0 {
		return zero
	}
	return s[r.IntN(len(s))]
}

// typename selects __typename, sometimes aliased.
func (b *builder) typename(sc *scope) *sel {
	s := &sel{kind: selField, name: "__typename"}
	if b.chance(0.15) {
		s.alias = b.newAlias()
	}
	key := s.name
	if s.alias != "" {
		key = s.alias
	}
	if e, ok := sc.keys[key]; ok && (e.name != s.name || e.args != "") {
		return nil
	}
	sc.keys[key] = &entry{name: s.name, typ: "String!"}
	if s.alias != "" {
		s.cost.aliases++
	}
	s.cost.depth, s.cost.fields = 1, 1
	b.used.add(counts{aliases: s.cost.aliases})
	b.fields++
	return s
}

// fieldsOf returns the fields of t that may be selected at depth.
func (b *builder) fieldsOf(t *ast.Definition, depth int) []*ast.FieldDefinition {
	var out []*ast.FieldDefinition
	for _, f := range t.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		if b.g.cfg.Skip != nil && b.g.cfg.Skip(b.kind, t, f) {
			continue
		}
		if depth >= b.g.cfg.Depth && b.composite(f.Type) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func (b *builder) composite(t *ast.Type) bool {
	d := b.schema.Types[t.Name()]
	return d != nil && (d.Kind == ast.Object || d.Kind == ast.Interface || d.Kind == ast.Union)
}

// newField selects a field of t drawn at random.
func (b *builder) newField(t *ast.Definition, sc *scope, depth int, alias string) *sel {
	f := pick(b.r, b.fieldsOf(t, depth))
	if f == nil {
		return nil
	}
	if alias == "" && b.chance(0.2) {
		alias = b.newAlias()
	}
	return b.field(t, f, sc, depth, alias)
}

// field selects f on t under alias ("" for none) into sc, with arguments, directives and a
// sub-selection drawn at random; nil when its response key cannot merge.
func (b *builder) field(t *ast.Definition, f *ast.FieldDefinition, sc *scope, depth int, alias string) *sel {
	if b.g.cfg.Skip != nil && b.g.cfg.Skip(b.kind, t, f) {
		return nil
	}
	if depth >= b.g.cfg.Depth && b.composite(f.Type) {
		return nil
	}
	s := &sel{kind: selField, alias: alias, name: f.Name, def: f, parent: t}
	nvars := len(b.vars)
	s.args = b.arguments(t, f)
	key := f.Name
	if alias != "" {
		key = alias
	}
	e, ok := sc.keys[key]
	if ok && (e.name != f.Name || e.args != s.args || e.typ != f.Type.String()) {
		// Another field holds this key: under a fresh alias instead.
		if s.alias = b.newAlias(); s.alias == "" {
			b.vars = b.vars[:nvars] // the arguments' new variables would be unused
			return nil
		}
		key, ok = s.alias, false
	}
	if !ok {
		e = &entry{name: f.Name, args: s.args, typ: f.Type.String()}
		if b.composite(f.Type) {
			e.child = newScope()
		}
		sc.keys[key] = e
	}
	if s.alias != "" {
		s.cost.aliases++
		b.used.aliases++
	}
	b.fields++
	s.dirs = b.directives(&s.cost)
	s.cost.depth, s.cost.fields = 1, 1
	if e.child != nil {
		sub, c := b.selectionSet(b.schema.Types[f.Type.Name()], e.child, depth+1, 1+b.r.IntN(3))
		s.sub = sub
		s.cost.aliases += c.aliases
		s.cost.directives += c.directives
		s.cost.depth = c.depth + 1
	}
	return s
}

// conditions returns the composite types that a fragment on t may name: those sharing a possible
// type with t.
func (b *builder) conditions(t *ast.Definition) []*ast.Definition {
	mine := map[string]bool{}
	for _, p := range b.schema.GetPossibleTypes(t) {
		mine[p.Name] = true
	}
	if t.Kind == ast.Object {
		mine[t.Name] = true
	}
	var out []*ast.Definition
	for _, name := range b.g.typeNames {
		d := b.schema.Types[name]
		if strings.HasPrefix(name, "__") || (d.Kind != ast.Object && d.Kind != ast.Interface && d.Kind != ast.Union) {
			continue
		}
		possible := b.schema.GetPossibleTypes(d)
		if d.Kind == ast.Object {
			possible = []*ast.Definition{d}
		}
		for _, p := range possible {
			if mine[p.Name] {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// inline generates an inline fragment on t: on a type that applies, or without a type condition.
func (b *builder) inline(t *ast.Definition, sc *scope, depth int) *sel {
	s := &sel{kind: selInline}
	on := t
	if !b.chance(0.15) {
		if c := pick(b.r, b.conditions(t)); c != nil {
			on = c
			s.typeCond = c.Name
		}
	}
	s.dirs = b.directives(&s.cost)
	sub, c := b.selectionSet(on, sc, depth, 1+b.r.IntN(3))
	s.sub = sub
	s.cost.add(c)
	return s
}

// spread spreads a named fragment on a type that applies to t: one defined before when one fits,
// else a new one.
func (b *builder) spread(t *ast.Definition, sc *scope, depth int) *sel {
	conds := map[string]bool{}
	for _, c := range b.conditions(t) {
		conds[c.Name] = true
	}
	var reusable []*fragment
	for _, f := range b.frags {
		// At the root, a fragment spread again multiplies the root fields: only small ones.
		if conds[f.on] && depth-1+f.cost.depth <= b.g.cfg.Limits.Depth && b.fits(f.cost) && sc.compatible(f.scope) &&
			(depth > 1 || f.cost.fields <= b.g.cfg.Limits.RootFields/4) {
			reusable = append(reusable, f)
		}
	}
	var f *fragment
	if len(reusable) > 0 && b.chance(0.6) {
		f = pick(b.r, reusable)
		sc.merge(f.scope)
		b.used.add(counts{aliases: f.cost.aliases, directives: f.cost.directives})
	} else {
		on := pick(b.r, b.conditions(t))
		if on == nil {
			return nil
		}
		b.fragN++
		f = &fragment{name: "F" + strconv.Itoa(b.fragN), on: on.Name}
		fs := sc.clone()
		f.sub, f.cost = b.selectionSet(on, fs, depth, 1+b.r.IntN(3))
		f.scope = fs
		sc.merge(fs)
		b.frags = append(b.frags, f)
	}
	s := &sel{kind: selSpread, name: f.name, cost: f.cost}
	s.dirs = b.directives(&s.cost)
	return s
}

// directives draws @skip/@include for a selection (usually none), counting them into c.
func (b *builder) directives(c *counts) string {
	if !b.chance(0.15) {
		return ""
	}
	var out string
	for _, name := range []string{"skip", "include"} {
		if b.used.directives >= b.g.cfg.Limits.Directives || !b.chance(0.6) {
			continue
		}
		out += " @" + name + "(if: " + b.condition() + ")"
		b.used.directives++
		c.directives++
	}
	return out
}

// condition is a literal Boolean or a Boolean! variable.
func (b *builder) condition() string {
	if b.chance(0.4) {
		return strconv.FormatBool(b.chance(0.5))
	}
	t := ast.NonNullNamedType("Boolean", nil)
	if v := b.reuseVar(t); v != nil && b.chance(0.5) {
		return "$" + v.name
	}
	v := &variable{typ: t, value: b.chance(0.5), send: true}
	if b.chance(0.25) {
		v.def, v.send = strconv.FormatBool(b.chance(0.5)), false
	}
	return "$" + b.addVar(v).name
}
