package auth

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/identity"
)

// The authorization directives of schema/auth.graphqls.
const (
	directiveAuthenticated  = "authenticated"
	directiveRequiresScopes = "requiresScopes"
	directiveOwner          = "owner"
)

// Rules enforce the schema's authorization directives. They are read once from the schema (NewRules)
// and checked by the execution engine through FieldCheck (engine.go), or by a gqlgen field interceptor
// where gqlgen's executor runs (interceptor.go): a field the caller may not see resolves to null with
// an error at its path (UNAUTHENTICATED for @authenticated and an anonymous caller, FORBIDDEN otherwise)
// and its resolver, hence any upstream call, never runs.
//
// @owner(result: true) is the one rule checked on the field's result rather than before its resolver:
// the owner's id is in the object the field returns (Query.order: the order's buyer id), so the
// resolver runs and loads it, and a result the caller does not own is replaced by null with FORBIDDEN.
// Callers that cannot own anything (anonymous, API keys) are refused before the resolver runs.
type Rules struct {
	byType     map[string]map[string]*rule // type name → field name → rule
	adminScope string
	in         instruments
	owners     sync.Map // reflect.Type → owner field index ([]int, nil when the type has none)
}

// rule is what one field requires. All of its parts must hold.
type rule struct {
	authenticated bool
	scopes        [][][]string // each @requiresScopes: any one inner list, all of whose scopes are held
	owner         string       // the parent's field holding the owner's user id, "" for none
	resultOwner   string       // the result's field holding the owner's user id (@owner(result: true)), "" for none
	// owned maps the object types with an @owner of their own that the field can return (itself, in a
	// list, or through an interface or union) to the field holding their owner's id; nil for none.
	owned map[string]string
	// onlyOwned: every object the field can return has an owner (so callers who cannot own anything
	// are refused before it resolves).
	onlyOwned bool
}

// Interface guards.
var (
	_ graphql.HandlerExtension = (*Rules)(nil)
	_ graphql.FieldInterceptor = (*Rules)(nil)
)

// NewRules reads the authorization directives of schema. adminScope is the scope that passes every
// @owner rule. It fails on a directive it cannot enforce (an @owner field the type does not have).
func NewRules(schema *ast.Schema, adminScope string) (*Rules, error) {
	r := &Rules{byType: map[string]map[string]*rule{}, adminScope: adminScope, in: newInstruments()}
	for _, name := range sortedKeys(schema.Types) {
		def := schema.Types[name]
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			ru, err := ruleOf(schema, def, f)
			if err != nil {
				return nil, fmt.Errorf("auth: %s.%s: %w", name, f.Name, err)
			}
			if ru != nil {
				r.set(name, f.Name, ru)
			}
		}
	}
	typeOwners, err := ownedTypes(schema)
	if err != nil {
		return nil, err
	}
	if len(typeOwners) > 0 {
		r.addOwnedResults(schema, typeOwners)
	}
	return r, nil
}

func (r *Rules) set(typ, field string, ru *rule) {
	if r.byType[typ] == nil {
		r.byType[typ] = map[string]*rule{}
	}
	r.byType[typ][field] = ru
}

// ownedTypes returns the object types of schema with an @owner of their own, mapped to the field that
// holds their owner's id.
func ownedTypes(schema *ast.Schema) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range sortedKeys(schema.Types) {
		def := schema.Types[name]
		d := def.Directives.ForName(directiveOwner)
		if d == nil || def.Kind != ast.Object {
			continue
		}
		args := d.ArgumentMap(nil)
		field, _ := args["field"].(string)
		if field == "" {
			field = "id"
		}
		if onResult, _ := args["result"].(bool); onResult {
			return nil, fmt.Errorf("auth: %s: @%s(result: true) applies to fields only", name, directiveOwner)
		}
		if od := def.Fields.ForName(field); od != nil && od.Type.Elem != nil {
			return nil, fmt.Errorf("auth: %s: @%s(field: %q): %s.%s is a list", name, directiveOwner, field, name, field)
		}
		out[name] = field
	}
	return out, nil
}

// addOwnedResults gives every field that can return objects of an owned type (typeOwners) the check of
// their owner. A field returning one object whose type can only be that owned type takes the rule as
// @owner(result: true), which gqlgen's field interceptor enforces too.
func (r *Rules) addOwnedResults(schema *ast.Schema, typeOwners map[string]string) {
	for _, name := range sortedKeys(schema.Types) {
		def := schema.Types[name]
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			rt := schema.Types[f.Type.Name()]
			if strings.HasPrefix(f.Name, "__") || rt == nil {
				continue
			}
			possible := schema.GetPossibleTypes(rt)
			owned := map[string]string{}
			for _, pt := range possible {
				if field, ok := typeOwners[pt.Name]; ok {
					owned[pt.Name] = field
				}
			}
			if len(owned) == 0 {
				continue
			}
			ru := r.byType[name][f.Name]
			if ru == nil {
				ru = &rule{}
				r.set(name, f.Name, ru)
			}
			ru.owned, ru.onlyOwned = owned, len(owned) == len(possible)
			if ru.onlyOwned && f.Type.Elem == nil && rt.Kind == ast.Object && ru.resultOwner == "" {
				ru.resultOwner = owned[rt.Name]
			}
		}
	}
}

// ruleOf combines the directives of the type def and of its field f of schema; nil when there are none.
func ruleOf(schema *ast.Schema, def *ast.Definition, f *ast.FieldDefinition) (*rule, error) {
	ru := &rule{}
	found := false
	var dirs ast.DirectiveList
	for _, d := range def.Directives {
		if d.Name != directiveOwner { // @owner on a type owns its objects (ownedTypes), not its fields
			dirs = append(dirs, d)
		}
	}
	for _, d := range append(dirs, f.Directives...) {
		switch d.Name {
		case directiveAuthenticated:
			ru.authenticated, found = true, true
		case directiveRequiresScopes:
			v, err := d.ArgumentMap(nil)["scopes"], error(nil)
			sets, ok := scopeSets(v)
			if !ok || len(sets) == 0 {
				err = fmt.Errorf("@%s(scopes:) must be a non-empty list of lists of scopes", directiveRequiresScopes)
			}
			if err != nil {
				return nil, err
			}
			ru.scopes, found = append(ru.scopes, sets), true
		case directiveOwner:
			args := d.ArgumentMap(nil)
			field, _ := args["field"].(string)
			if field == "" {
				field = "id"
			}
			if onResult, _ := args["result"].(bool); onResult {
				if err := checkResultOwner(schema, f, field); err != nil {
					return nil, err
				}
				ru.resultOwner, found = field, true
				continue
			}
			od := def.Fields.ForName(field)
			if od == nil || od.Type.Elem != nil {
				return nil, fmt.Errorf("@%s(field: %q): %s has no such single-valued field", directiveOwner, field, def.Name)
			}
			ru.owner, found = field, true
		}
	}
	if !found {
		return nil, nil
	}
	return ru, nil
}

// checkResultOwner refuses @owner(result: true) on a field whose result is not a single object, or
// whose type has a GraphQL field of that name that is a list. The owner field may also be a field of the
// Go record bound to the type only (e.g. a buyer id the schema does not expose): that cannot be checked
// here, and a field that cannot be read at run time fails closed.
func checkResultOwner(schema *ast.Schema, f *ast.FieldDefinition, field string) error {
	rt := schema.Types[f.Type.Name()]
	if f.Type.Elem != nil || rt == nil || rt.Kind != ast.Object {
		return fmt.Errorf("@%s(result: true) needs a field returning one object", directiveOwner)
	}
	if od := rt.Fields.ForName(field); od != nil && od.Type.Elem != nil {
		return fmt.Errorf("@%s(field: %q, result: true): %s.%s is a list", directiveOwner, field, rt.Name, field)
	}
	return nil
}

// scopeSets reads a [[String!]!]! argument value.
func scopeSets(v any) ([][]string, bool) {
	outer, ok := v.([]any)
	if !ok {
		return nil, false
	}
	sets := make([][]string, 0, len(outer))
	for _, o := range outer {
		inner, ok := o.([]any)
		if !ok || len(inner) == 0 {
			return nil, false
		}
		set := make([]string, 0, len(inner))
		for _, s := range inner {
			str, ok := s.(string)
			if !ok {
				return nil, false
			}
			set = append(set, str)
		}
		sets = append(sets, set)
	}
	return sets, true
}

// ownerOnly is the error of an owner rule of typ.field that does not hold.
func ownerOnly(typ, field string) *gqlerror.Error {
	return errcode.New(errcode.Forbidden, fmt.Sprintf("%s.%s is visible to its owner only", typ, field))
}

// isNil reports whether v is nil or a nil pointer or interface (a null result).
func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return true
		}
		rv = rv.Elem()
	}
	return !rv.IsValid()
}

// check returns the error of field typ.field that the caller c may not see, nil when it may; parent
// returns the object the field belongs to (for @owner), nil for a check made before any object is
// known: then only callers that cannot own anything are refused by @owner.
func (r *Rules) check(c *identity.Caller, typ, field string, ru *rule, parent func() any) *gqlerror.Error {
	if ru.authenticated && c == nil {
		return errcode.New(errcode.Unauthenticated, fmt.Sprintf("%s.%s needs a signed-in caller", typ, field))
	}
	for _, sets := range ru.scopes {
		if !holdsAny(c, sets) {
			return errcode.New(errcode.Forbidden, fmt.Sprintf("%s.%s needs the scopes %s", typ, field, describe(sets)))
		}
	}
	if ru.owner != "" && !c.HasScope(r.adminScope) {
		if c == nil || c.UserID == "" || parent != nil && r.fieldOf(parent(), ru.owner) != c.UserID {
			return ownerOnly(typ, field)
		}
	}
	return nil
}

// holdsAny reports whether c holds every scope of at least one of sets.
func holdsAny(c *identity.Caller, sets [][]string) bool {
	for _, set := range sets {
		all := true
		for _, s := range set {
			if !c.HasScope(s) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// describe writes sets as "a and b, or c".
func describe(sets [][]string) string {
	parts := make([]string, len(sets))
	for i, set := range sets {
		parts[i] = strings.Join(set, " and ")
	}
	return strings.Join(parts, ", or ")
}

// parentResult returns the object the current field belongs to (its parent's result), nil at the root.
func parentResult(fc *graphql.FieldContext) any {
	if fc.Parent == nil {
		return nil
	}
	return fc.Parent.Result
}

// fieldOf returns the field called field of the object obj as a string, "" when it cannot be read.
func (r *Rules) fieldOf(obj any, field string) string {
	v := reflect.ValueOf(obj)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	idx := r.ownerIndex(v.Type(), field)
	if idx == nil {
		return ""
	}
	f := v.FieldByIndex(idx)
	switch f.Kind() {
	case reflect.String:
		return f.String()
	case reflect.Int, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(f.Int(), 10)
	}
	return ""
}

// ownerIndex returns the index of the Go struct field bound to the GraphQL field name (gqlgen binds
// them case-insensitively), cached per Go type.
func (r *Rules) ownerIndex(t reflect.Type, name string) []int {
	type key struct {
		t    reflect.Type
		name string
	}
	if v, ok := r.owners.Load(key{t, name}); ok {
		return v.([]int)
	}
	var idx []int
	if f, ok := t.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, name) }); ok {
		idx = f.Index
	}
	r.owners.Store(key{t, name}, idx)
	return idx
}
