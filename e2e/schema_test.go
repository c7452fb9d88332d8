package e2e

import (
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestIntrospectionDirectivesMatchSDL compares, directive by directive, what introspection
// advertises with what GET /schema.graphql serves: the same directives (beyond the spec's own
// @include, @skip, @deprecated, @specifiedBy and @oneOf), with the same arguments and locations;
// none of gqlgen's code-generation directives, no @defer or @stream (the gateway refuses them).
func TestIntrospectionDirectivesMatchSDL(t *testing.T) {
	e := newEnv(t)
	resp, err := e.server.Client().Get(e.server.URL + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sdl, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /schema.graphql: %d %v", resp.StatusCode, err)
	}
	served, err := gqlparser.LoadSchema(&ast.Source{Input: string(sdl)})
	if err != nil {
		t.Fatalf("the served SDL does not load: %v", err)
	}
	describe := func(name string, args, locs []string, repeatable bool) string {
		sort.Strings(args)
		sort.Strings(locs)
		return "@" + name + "(" + strings.Join(args, ", ") + ") on " + strings.Join(locs, " | ") +
			map[bool]string{true: " repeatable"}[repeatable]
	}
	var fromSDL []string
	for name, d := range served.Directives {
		if d.Position != nil && d.Position.Src.BuiltIn {
			continue
		}
		var args, locs []string
		for _, a := range d.Arguments {
			args = append(args, a.Name+": "+a.Type.String())
		}
		for _, l := range d.Locations {
			locs = append(locs, string(l))
		}
		fromSDL = append(fromSDL, describe(name, args, locs, d.IsRepeatable))
	}

	r := e.query(t, "", `{ __schema { directives { name isRepeatable locations args { name type { ...T } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("introspection: %v", r.Errors)
	}
	type typeRef struct {
		Kind   string   `json:"kind"`
		Name   string   `json:"name"`
		OfType *typeRef `json:"ofType"`
	}
	var ref func(t *typeRef) string
	ref = func(t *typeRef) string {
		switch t.Kind {
		case "NON_NULL":
			return ref(t.OfType) + "!"
		case "LIST":
			return "[" + ref(t.OfType) + "]"
		}
		return t.Name
	}
	var data struct {
		Schema struct {
			Directives []struct {
				Name         string   `json:"name"`
				IsRepeatable bool     `json:"isRepeatable"`
				Locations    []string `json:"locations"`
				Args         []struct {
					Name string  `json:"name"`
					Type typeRef `json:"type"`
				} `json:"args"`
			} `json:"directives"`
		} `json:"__schema"`
	}
	r.decode(t, &data)
	spec := map[string]bool{"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true}
	var fromIntrospection []string
	for _, d := range data.Schema.Directives {
		if spec[d.Name] {
			continue
		}
		var args []string
		for _, a := range d.Args {
			args = append(args, a.Name+": "+ref(&a.Type))
		}
		fromIntrospection = append(fromIntrospection, describe(d.Name, args, d.Locations, d.IsRepeatable))
	}
	sort.Strings(fromSDL)
	sort.Strings(fromIntrospection)
	if diff := cmp.Diff(fromSDL, fromIntrospection); diff != "" {
		t.Errorf("directives (-served SDL +introspection):\n%s", diff)
	}
	if len(fromSDL) == 0 {
		t.Error("the served SDL declares no directive")
	}
}
