package schemacheck

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Diff returns every change from old to new, worst first. Built-in types and directives (the
// specification's scalars, introspection types, @skip, @include, @deprecated, @specifiedBy, @oneOf) are
// not compared as definitions.
func Diff(old, new *ast.Schema) Report {
	d := &differ{}
	d.roots(old, new)
	for _, name := range unionKeys(old.Types, new.Types) {
		o, n := old.Types[name], new.Types[name]
		switch {
		case (o == nil || o.BuiltIn) && (n == nil || n.BuiltIn):
		case o == nil:
			d.add(TypeAdded, Safe, name, "type %s was added", name)
		case n == nil:
			d.add(TypeRemoved, Breaking, name, "type %s was removed", name)
		case o.Kind != n.Kind:
			d.add(TypeKindChanged, Breaking, name, "type %s changed kind from %s to %s", name, o.Kind, n.Kind)
		default:
			d.definition(o, n)
		}
	}
	for _, name := range unionKeys(old.Directives, new.Directives) {
		o, n := old.Directives[name], new.Directives[name]
		switch {
		case builtInDirectives[name]:
		case o == nil:
			d.add(DirectiveAdded, Safe, "@"+name, "directive @%s was added", name)
		case n == nil:
			d.add(DirectiveRemoved, Breaking, "@"+name, "directive @%s was removed", name)
		default:
			d.directive(o, n)
		}
	}
	sortReport(d.report)
	return d.report
}

// builtInDirectives are the specification's directives, which every schema has.
var builtInDirectives = map[string]bool{"skip": true, "include": true, "deprecated": true, "specifiedBy": true, "oneOf": true, "defer": true, "stream": true}

type differ struct{ report Report }

func (d *differ) add(k Kind, l Level, coord, format string, args ...any) {
	d.report = append(d.report, Change{Kind: k, Level: l, Coordinate: coord, Message: fmt.Sprintf(format, args...)})
}

func (d *differ) roots(old, new *ast.Schema) {
	for _, r := range []struct {
		kind     Kind
		op       string
		old, new *ast.Definition
	}{
		{SchemaQueryTypeChanged, "query", old.Query, new.Query},
		{SchemaMutationTypeChanged, "mutation", old.Mutation, new.Mutation},
		{SchemaSubscriptionTypeChanged, "subscription", old.Subscription, new.Subscription},
	} {
		o, n := defName(r.old), defName(r.new)
		switch {
		case o == n:
		case o == "":
			d.add(r.kind, Safe, n, "the schema has a %s root type: %s", r.op, n)
		case n == "":
			d.add(r.kind, Breaking, o, "the schema's %s root type %s was removed", r.op, o)
		default:
			d.add(r.kind, Breaking, n, "the schema's %s root type changed from %s to %s", r.op, o, n)
		}
	}
}

func defName(def *ast.Definition) string {
	if def == nil {
		return ""
	}
	return def.Name
}

// definition compares two types of the same name and kind.
func (d *differ) definition(o, n *ast.Definition) {
	d.description(n.Name, o.Description, n.Description)
	d.usages(n.Name, o.Directives, n.Directives)
	switch n.Kind {
	case ast.Scalar:
		if ou, nu := specifiedBy(o.Directives), specifiedBy(n.Directives); ou != nu {
			d.add(ScalarSpecifiedByChanged, Dangerous, n.Name, "scalar %s is specified by %q, was %q", n.Name, nu, ou)
		}
	case ast.Object, ast.Interface:
		d.members(n.Name, "interface", o.Interfaces, n.Interfaces, ObjectTypeInterfaceAdded, ObjectTypeInterfaceRemoved, Dangerous)
		d.outputFields(n, o.Fields, n.Fields)
	case ast.Union:
		d.members(n.Name, "member", o.Types, n.Types, UnionMemberAdded, UnionMemberRemoved, Dangerous)
	case ast.Enum:
		d.enumValues(n.Name, o.EnumValues, n.EnumValues)
	case ast.InputObject:
		switch ob, nb := o.Directives.ForName("oneOf") != nil, n.Directives.ForName("oneOf") != nil; {
		case nb && !ob:
			d.add(InputObjectOneOfAdded, Breaking, n.Name, "input %s became @oneOf: exactly one field must be set", n.Name)
		case ob && !nb:
			d.add(InputObjectOneOfRemoved, Dangerous, n.Name, "input %s is no longer @oneOf", n.Name)
		}
		d.inputValues(n.Name, inputFieldDefs(o.Fields), inputFieldDefs(n.Fields), inputObjectFields)
	}
}

// members compares a type's interfaces or a union's members.
func (d *differ) members(typ, what string, o, n []string, added, removed Kind, addedLevel Level) {
	for _, m := range n {
		if !slices.Contains(o, m) {
			d.add(added, addedLevel, typ, "%s %s was added to %s", what, m, typ)
		}
	}
	for _, m := range o {
		if !slices.Contains(n, m) {
			d.add(removed, Breaking, typ, "%s %s was removed from %s", what, m, typ)
		}
	}
}

func (d *differ) outputFields(typ *ast.Definition, o, n ast.FieldList) {
	for _, name := range unionNames(o, n, func(f *ast.FieldDefinition) string { return f.Name }) {
		if strings.HasPrefix(name, "__") {
			continue // __schema and __type, which gqlparser adds to the query root
		}
		of, nf := o.ForName(name), n.ForName(name)
		coord := typ.Name + "." + name
		switch {
		case of == nil:
			d.add(FieldAdded, Safe, coord, "field %s was added", coord)
			continue
		case nf == nil:
			if reason, ok := deprecation(of.Directives); ok {
				d.add(FieldRemoved, Breaking, coord, "field %s (deprecated: %s) was removed", coord, reason)
			} else {
				d.add(FieldRemoved, Breaking, coord, "field %s was removed", coord)
			}
			continue
		}
		d.description(coord, of.Description, nf.Description)
		d.typeChange(FieldTypeChanged, "field", coord, of.Type, nf.Type, safeOutput)
		d.deprecations(coord, "field", of.Directives, nf.Directives,
			FieldDeprecationAdded, FieldDeprecationRemoved, FieldDeprecationReasonChanged)
		d.usages(coord, of.Directives, nf.Directives)
		d.inputValues(coord, argumentDefs(of.Arguments), argumentDefs(nf.Arguments), fieldArguments)
	}
}

// inputDef is an argument or an input field: the input values compared alike.
type inputDef struct {
	name, description string
	typ               *ast.Type
	def               *ast.Value
	directives        ast.DirectiveList
}

func argumentDefs(l ast.ArgumentDefinitionList) []inputDef {
	out := make([]inputDef, len(l))
	for i, a := range l {
		out[i] = inputDef{a.Name, a.Description, a.Type, a.DefaultValue, a.Directives}
	}
	return out
}

func inputFieldDefs(l ast.FieldList) []inputDef {
	out := make([]inputDef, len(l))
	for i, f := range l {
		out[i] = inputDef{f.Name, f.Description, f.Type, f.DefaultValue, f.Directives}
	}
	return out
}

// inputKinds are the kinds and wording of one sort of input value.
type inputKinds struct {
	what                                        string // "argument", "input field"
	added, removed, typeChanged, defaultChanged Kind
	optionalAdded                               Level // the level of one added that a client need not give
	coord                                       func(parent, name string) string
}

var (
	fieldArguments = inputKinds{"argument", FieldArgumentAdded, FieldArgumentRemoved, FieldArgumentTypeChanged,
		FieldArgumentDefaultChanged, Dangerous, argumentCoord}
	directiveArguments = inputKinds{"argument", DirectiveArgumentAdded, DirectiveArgumentRemoved, DirectiveArgumentTypeChanged,
		DirectiveArgumentDefaultValueChanged, Safe, argumentCoord}
	inputObjectFields = inputKinds{"input field", InputFieldAdded, InputFieldRemoved, InputFieldTypeChanged,
		InputFieldDefaultValueChanged, Dangerous, func(parent, name string) string { return parent + "." + name }}
)

func argumentCoord(parent, name string) string { return parent + "(" + name + ":)" }

// inputValues compares the arguments of a field or directive, or the fields of an input object;
// parent is the coordinate of what holds them.
func (d *differ) inputValues(parent string, o, n []inputDef, k inputKinds) {
	byName := func(l []inputDef, name string) *inputDef {
		for i := range l {
			if l[i].name == name {
				return &l[i]
			}
		}
		return nil
	}
	for _, name := range unionNames(o, n, func(v inputDef) string { return v.name }) {
		ov, nv := byName(o, name), byName(n, name)
		coord := k.coord(parent, name)
		switch {
		case ov == nil:
			if required(nv.typ, nv.def) {
				d.add(k.added, Breaking, coord, "required %s %s: %s was added", k.what, coord, nv.typ)
			} else {
				d.add(k.added, k.optionalAdded, coord, "optional %s %s: %s was added", k.what, coord, nv.typ)
			}
			continue
		case nv == nil:
			d.add(k.removed, Breaking, coord, "%s %s was removed", k.what, coord)
			continue
		}
		d.description(coord, ov.description, nv.description)
		d.typeChange(k.typeChanged, k.what, coord, ov.typ, nv.typ, safeInput)
		if os, ns := valueString(ov.def), valueString(nv.def); os != ns {
			d.add(k.defaultChanged, Dangerous, coord, "the default of %s %s changed from %s to %s", k.what, coord, os, ns)
		}
		d.deprecations(coord, k.what, ov.directives, nv.directives,
			InputValueDeprecationAdded, InputValueDeprecationRemoved, InputValueDeprecationReasonChanged)
		d.usages(coord, ov.directives, nv.directives)
	}
}

func (d *differ) enumValues(typ string, o, n ast.EnumValueList) {
	for _, name := range unionNames(o, n, func(v *ast.EnumValueDefinition) string { return v.Name }) {
		ov, nv := o.ForName(name), n.ForName(name)
		coord := typ + "." + name
		switch {
		case ov == nil:
			d.add(EnumValueAdded, Dangerous, coord, "enum value %s was added", coord)
			continue
		case nv == nil:
			d.add(EnumValueRemoved, Breaking, coord, "enum value %s was removed", coord)
			continue
		}
		d.description(coord, ov.Description, nv.Description)
		d.deprecations(coord, "enum value", ov.Directives, nv.Directives,
			EnumValueDeprecationAdded, EnumValueDeprecationRemoved, EnumValueDeprecationReasonChanged)
		d.usages(coord, ov.Directives, nv.Directives)
	}
}

func (d *differ) directive(o, n *ast.DirectiveDefinition) {
	coord := "@" + n.Name
	d.description(coord, o.Description, n.Description)
	for _, l := range n.Locations {
		if !slices.Contains(o.Locations, l) {
			d.add(DirectiveLocationAdded, Safe, coord, "directive %s may be used on %s", coord, l)
		}
	}
	for _, l := range o.Locations {
		if !slices.Contains(n.Locations, l) {
			d.add(DirectiveLocationRemoved, Breaking, coord, "directive %s may no longer be used on %s", coord, l)
		}
	}
	switch {
	case n.IsRepeatable && !o.IsRepeatable:
		d.add(DirectiveRepeatableAdded, Safe, coord, "directive %s became repeatable", coord)
	case o.IsRepeatable && !n.IsRepeatable:
		d.add(DirectiveRepeatableRemoved, Breaking, coord, "directive %s is no longer repeatable", coord)
	}
	d.inputValues(coord, argumentDefs(o.Arguments), argumentDefs(n.Arguments), directiveArguments)
}

// typeChange reports a change of type from o to n: safe when safe says so, else breaking.
func (d *differ) typeChange(k Kind, what, coord string, o, n *ast.Type, safe func(o, n *ast.Type) bool) {
	os, ns := o.String(), n.String()
	if os == ns {
		return
	}
	level := Breaking
	if safe(o, n) {
		level = Safe
	}
	d.add(k, level, coord, "%s %s changed type from %s to %s", what, coord, os, ns)
}

func (d *differ) description(coord, o, n string) {
	switch {
	case o == n:
	case o == "":
		d.add(DescriptionChanged, Safe, coord, "%s has a description", coord)
	case n == "":
		d.add(DescriptionChanged, Safe, coord, "the description of %s was removed", coord)
	default:
		d.add(DescriptionChanged, Safe, coord, "the description of %s changed", coord)
	}
}

func (d *differ) deprecations(coord, what string, o, n ast.DirectiveList, added, removed, reasonChanged Kind) {
	or, od := deprecation(o)
	nr, nd := deprecation(n)
	switch {
	case nd && !od:
		d.add(added, Safe, coord, "%s %s is deprecated: %s", what, coord, nr)
	case od && !nd:
		d.add(removed, Dangerous, coord, "%s %s is no longer deprecated", what, coord)
	case od && or != nr:
		d.add(reasonChanged, Safe, coord, "the deprecation reason of %s %s changed from %q to %q", what, coord, or, nr)
	}
}

// ownKinds are the applied directives compared by kinds of their own, not as usages.
var ownKinds = map[string]bool{"deprecated": true, "specifiedBy": true, "oneOf": true}

// usages compares the directives applied to one element, by name and then by arguments.
func (d *differ) usages(coord string, o, n ast.DirectiveList) {
	ou, nu := usageStrings(o), usageStrings(n)
	for _, name := range unionKeys(ou, nu) {
		os, ns := ou[name], nu[name]
		switch {
		case os == nil:
			d.add(DirectiveUsageAdded, Dangerous, coord, "%s was applied to %s", strings.Join(ns, " "), coord)
		case ns == nil:
			d.add(DirectiveUsageRemoved, Dangerous, coord, "%s was removed from %s", strings.Join(os, " "), coord)
		case !slices.Equal(os, ns):
			d.add(DirectiveUsageChanged, Dangerous, coord, "%s on %s is now %s", strings.Join(os, " "), coord, strings.Join(ns, " "))
		}
	}
}

// usageStrings returns the applied directives of l by name, each as its SDL text with sorted
// arguments (a repeatable directive may appear several times).
func usageStrings(l ast.DirectiveList) map[string][]string {
	m := map[string][]string{}
	for _, dir := range l {
		if ownKinds[dir.Name] {
			continue
		}
		args := make([]string, 0, len(dir.Arguments))
		for _, a := range dir.Arguments {
			args = append(args, a.Name+": "+valueString(a.Value))
		}
		sort.Strings(args)
		s := "@" + dir.Name
		if len(args) > 0 {
			s += "(" + strings.Join(args, ", ") + ")"
		}
		m[dir.Name] = append(m[dir.Name], s)
	}
	for _, v := range m {
		sort.Strings(v)
	}
	return m
}

// deprecation returns the reason of an @deprecated among l, and whether there is one.
func deprecation(l ast.DirectiveList) (string, bool) {
	dir := l.ForName("deprecated")
	if dir == nil {
		return "", false
	}
	if a := dir.Arguments.ForName("reason"); a != nil && a.Value != nil {
		return a.Value.Raw, true
	}
	return "No longer supported", true // the specification's default reason
}

func specifiedBy(l ast.DirectiveList) string {
	if dir := l.ForName("specifiedBy"); dir != nil {
		if a := dir.Arguments.ForName("url"); a != nil && a.Value != nil {
			return a.Value.Raw
		}
	}
	return ""
}

func valueString(v *ast.Value) string {
	if v == nil {
		return "(none)"
	}
	return v.String()
}

// required reports whether an input value of type t with default def must be given.
func required(t *ast.Type, def *ast.Value) bool { return t.NonNull && def == nil }

// safeOutput reports whether a client that read values of type o can read every value of n: n may
// only be stricter (non-null where o was nullable), with the same named type.
func safeOutput(o, n *ast.Type) bool {
	if n.NonNull && !o.NonNull {
		return safeOutput(o, nullable(n))
	}
	if o.NonNull != n.NonNull || (o.Elem == nil) != (n.Elem == nil) {
		return false
	}
	if o.Elem != nil {
		return safeOutput(o.Elem, n.Elem)
	}
	return o.NamedType == n.NamedType
}

// safeInput reports whether every value a client could send for type o is valid for n: n may only
// be looser (nullable where o was non-null), with the same named type.
func safeInput(o, n *ast.Type) bool {
	if o.NonNull && !n.NonNull {
		return safeInput(nullable(o), n)
	}
	if o.NonNull != n.NonNull || (o.Elem == nil) != (n.Elem == nil) {
		return false
	}
	if o.Elem != nil {
		return safeInput(o.Elem, n.Elem)
	}
	return o.NamedType == n.NamedType
}

func nullable(t *ast.Type) *ast.Type {
	c := *t
	c.NonNull = false
	return &c
}

// unionKeys returns the keys of a and b, sorted.
func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// unionNames returns the names of the elements of a and b, a's order first, then b's new ones.
func unionNames[T any](a, b []T, name func(T) string) []string {
	seen := make(map[string]bool, len(a)+len(b))
	var out []string
	for _, l := range [][]T{a, b} {
		for _, e := range l {
			if n := name(e); !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}
