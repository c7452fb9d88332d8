package resolvers

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/graph/generated"
)

// TestObjectFieldsAreResolvers guards the rule in gqlgen.yml that resolvers/loaders relies on: a field
// whose type has resolver fields or fields that return objects (so a batch may wait below it) must be a
// resolver field, which gqlgen resolves concurrently. A plain field's subtree runs inline and holds back
// its siblings, which the batch scheduler counts as about to run.
func TestObjectFieldsAreResolvers(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: New(nil)}).Schema()

	// The resolver fields are the methods of the per-type resolver interfaces of generated.ResolverRoot.
	resolverFields := map[string]bool{}
	root := reflect.TypeFor[generated.ResolverRoot]()
	for i := range root.NumMethod() {
		m := root.Method(i)
		iface := m.Type.Out(0)
		for j := range iface.NumMethod() {
			resolverFields[strings.ToLower(m.Name+"."+iface.Method(j).Name)] = true
		}
	}

	// mayWait reports whether resolving def's fields may wait on a batch: one of them is a resolver
	// field, or returns objects (whose own fields may).
	mayWait := func(def *ast.Definition) bool {
		for _, f := range def.Fields {
			if resolverFields[strings.ToLower(def.Name+"."+f.Name)] {
				return true
			}
			if t := schema.Types[f.Type.Name()]; t != nil && t.Kind == ast.Object {
				return true
			}
		}
		return false
	}
	for _, def := range schema.Types {
		if def.Kind != ast.Object || def.BuiltIn || strings.HasPrefix(def.Name, "__") ||
			def.Name == "Query" || def.Name == "Mutation" { // root fields run on their own anyway
			continue
		}
		for _, f := range def.Fields {
			target := schema.Types[f.Type.Name()]
			if target == nil || target.Kind != ast.Object || !mayWait(target) {
				continue
			}
			if !resolverFields[strings.ToLower(def.Name+"."+f.Name)] {
				t.Errorf("%s.%s returns %s, whose fields may wait on batches, but is a plain field: mark it `resolver: true` in gqlgen.yml",
					def.Name, f.Name, f.Type.String())
			}
		}
	}
}
