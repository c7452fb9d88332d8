package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The introspection result, as much of it as the standard query asks for.
type (
	ixTypeRef struct {
		Kind   string     `json:"kind"`
		Name   *string    `json:"name"`
		OfType *ixTypeRef `json:"ofType"`
	}
	ixInput struct {
		Name              string    `json:"name"`
		Description       *string   `json:"description"`
		Type              ixTypeRef `json:"type"`
		DefaultValue      *string   `json:"defaultValue"`
		IsDeprecated      bool      `json:"isDeprecated"`
		DeprecationReason *string   `json:"deprecationReason"`
	}
	ixField struct {
		Name              string    `json:"name"`
		Description       *string   `json:"description"`
		Args              []ixInput `json:"args"`
		Type              ixTypeRef `json:"type"`
		IsDeprecated      bool      `json:"isDeprecated"`
		DeprecationReason *string   `json:"deprecationReason"`
	}
	ixType struct {
		Kind          string      `json:"kind"`
		Name          string      `json:"name"`
		Description   *string     `json:"description"`
		Fields        []ixField   `json:"fields"`
		InputFields   []ixInput   `json:"inputFields"`
		Interfaces    []ixTypeRef `json:"interfaces"`
		EnumValues    []ixField   `json:"enumValues"`
		PossibleTypes []ixTypeRef `json:"possibleTypes"`
	}
	ixDirective struct {
		Name         string    `json:"name"`
		Description  *string   `json:"description"`
		IsRepeatable bool      `json:"isRepeatable"`
		Locations    []string  `json:"locations"`
		Args         []ixInput `json:"args"`
	}
	ixSchema struct {
		Types      []ixType      `json:"types"`
		Directives []ixDirective `json:"directives"`
	}
)

var builtinNames = map[string]bool{
	"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true,
	"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true,
}

// sdlFromIntrospection writes the SDL an introspection result describes (what a codegen tool rebuilds).
func sdlFromIntrospection(s ixSchema) string {
	var b strings.Builder
	str := func(s string) string {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		return strings.TrimSpace(buf.String())
	}
	desc := func(d *string) {
		if d != nil && *d != "" {
			b.WriteString(str(*d) + "\n")
		}
	}
	var ref func(r ixTypeRef) string
	ref = func(r ixTypeRef) string {
		switch r.Kind {
		case "NON_NULL":
			return ref(*r.OfType) + "!"
		case "LIST":
			return "[" + ref(*r.OfType) + "]"
		}
		return *r.Name
	}
	deprecated := func(is bool, reason *string) string {
		if !is {
			return ""
		}
		if reason == nil {
			return " @deprecated"
		}
		return " @deprecated(reason: " + str(*reason) + ")"
	}
	inputs := func(in []ixInput, sep string) {
		for _, a := range in {
			desc(a.Description)
			b.WriteString(a.Name + ": " + ref(a.Type))
			if a.DefaultValue != nil {
				b.WriteString(" = " + *a.DefaultValue)
			}
			b.WriteString(deprecated(a.IsDeprecated, a.DeprecationReason) + sep)
		}
	}
	for _, t := range s.Types {
		if strings.HasPrefix(t.Name, "__") || builtinNames[t.Name] {
			continue
		}
		desc(t.Description)
		switch t.Kind {
		case "SCALAR":
			b.WriteString("scalar " + t.Name + "\n")
		case "OBJECT", "INTERFACE":
			kw := map[string]string{"OBJECT": "type ", "INTERFACE": "interface "}[t.Kind]
			b.WriteString(kw + t.Name)
			for i, in := range t.Interfaces {
				b.WriteString(map[bool]string{true: " implements ", false: " & "}[i == 0] + ref(in))
			}
			b.WriteString(" {\n")
			for _, f := range t.Fields {
				desc(f.Description)
				b.WriteString(f.Name)
				if len(f.Args) > 0 {
					b.WriteString("(\n")
					inputs(f.Args, "\n")
					b.WriteString(")")
				}
				b.WriteString(": " + ref(f.Type) + deprecated(f.IsDeprecated, f.DeprecationReason) + "\n")
			}
			b.WriteString("}\n")
		case "INPUT_OBJECT":
			b.WriteString("input " + t.Name + " {\n")
			inputs(t.InputFields, "\n")
			b.WriteString("}\n")
		case "ENUM":
			b.WriteString("enum " + t.Name + " {\n")
			for _, v := range t.EnumValues {
				desc(v.Description)
				b.WriteString(v.Name + deprecated(v.IsDeprecated, v.DeprecationReason) + "\n")
			}
			b.WriteString("}\n")
		case "UNION":
			names := make([]string, len(t.PossibleTypes))
			for i, p := range t.PossibleTypes {
				names[i] = ref(p)
			}
			b.WriteString("union " + t.Name + " = " + strings.Join(names, " | ") + "\n")
		}
	}
	for _, d := range s.Directives {
		if builtinNames[d.Name] {
			continue
		}
		desc(d.Description)
		b.WriteString("directive @" + d.Name)
		if len(d.Args) > 0 {
			b.WriteString("(\n")
			inputs(d.Args, "\n")
			b.WriteString(")")
		}
		if d.IsRepeatable {
			b.WriteString(" repeatable")
		}
		b.WriteString(" on " + strings.Join(d.Locations, " | ") + "\n")
	}
	return b.String()
}

// normalize loads sdl and formats it with SDL, dropping applied directives other than @deprecated
// (introspection does not show where directives are applied) and gqlgen's code-generation directives,
// and spelling out @deprecated's default reason.
func normalize(t *testing.T, name, sdl string) string {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: name, Input: sdl})
	if err != nil {
		t.Fatalf("%s does not load: %v\n%s", name, err, sdl)
	}
	keep := func(l ast.DirectiveList) ast.DirectiveList {
		var out ast.DirectiveList
		for _, d := range l {
			if d.Name == "deprecated" {
				if d.Arguments.ForName("reason") == nil { // the argument's default, as introspection shows it
					d.Arguments = append(d.Arguments, &ast.Argument{Name: "reason",
						Value: &ast.Value{Kind: ast.StringValue, Raw: "No longer supported"}})
				}
				out = append(out, d)
			}
		}
		return out
	}
	for _, def := range schema.Types {
		def.Directives = keep(def.Directives)
		for _, f := range def.Fields {
			f.Directives = keep(f.Directives)
			for _, a := range f.Arguments {
				a.Directives = keep(a.Directives)
			}
		}
		for _, v := range def.EnumValues {
			v.Directives = keep(v.Directives)
		}
	}
	return SDL(schema)
}

// TestSDLMatchesIntrospection rebuilds the schema from the standard introspection query's result, as
// codegen tools do, and compares it with GET /schema.graphql: types, fields, arguments, defaults,
// descriptions and deprecations must all agree.
func TestSDLMatchesIntrospection(t *testing.T) {
	h := newTestHandler(t, Config{}, Deps{})

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/schema.graphql", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /schema.graphql: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	served := rec.Body.String()
	for _, want := range []string{"type Query", "type Mutation", `"""`} {
		if !strings.Contains(served, want) {
			t.Errorf("the SDL lacks %q", want)
		}
	}
	if strings.Contains(served, "@goModel") || strings.Contains(served, "__Schema") {
		t.Error("the SDL shows gqlgen's directives or the introspection types")
	}

	rec = postQuery(t, h, introspection.Query, "application/json")
	var resp struct {
		Data struct {
			Schema ixSchema `json:"__schema"`
		} `json:"data"`
		Errors []any `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Errors) > 0 {
		t.Fatalf("introspection: %v %v", err, resp.Errors)
	}
	rebuilt := sdlFromIntrospection(resp.Data.Schema)
	if diff := cmp.Diff(normalize(t, "served", served), normalize(t, "rebuilt", rebuilt)); diff != "" {
		t.Errorf("served SDL and the schema rebuilt from introspection differ (-served +rebuilt):\n%s", diff)
	}
}

// TestIntrospectionCarriesDeprecations runs the same comparison on a schema with descriptions and
// deprecations of every kind (the shop's schema has no deprecation yet), through gqlgen's
// introspection types, which the generated __schema resolvers serve.
func TestIntrospectionCarriesDeprecations(t *testing.T) {
	const sdl = `
"The root."
type Query {
  "Old."
  old(
    "An argument."
    a: Int = 3 @deprecated(reason: "use b")
    b: [Int!] = [1]
  ): String @deprecated(reason: "use now")
  now(in: In): E @deprecated
  "Plain \"quoted\" text\nover two lines."
  plain: Int!
}
"An input."
input In { x: Int @deprecated y: String = "z" }
"An enum."
enum E { A "Bee." B @deprecated(reason: "gone") }
`
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "t", Input: sdl})
	if err != nil {
		t.Fatal(err)
	}
	ix := wrapIntrospection(introspection.WrapSchema(schema))
	if diff := cmp.Diff(normalize(t, "served", SDL(schema)), normalize(t, "rebuilt", sdlFromIntrospection(ix))); diff != "" {
		t.Errorf("(-served +rebuilt):\n%s", diff)
	}
	for _, want := range []string{`@deprecated(reason: "use now")`, `@deprecated(reason: "use b")`, `@deprecated(reason: "gone")`, "An argument."} {
		if !strings.Contains(SDL(schema), want) {
			t.Errorf("SDL lacks %s:\n%s", want, SDL(schema))
		}
	}
}

// wrapIntrospection reads what the standard introspection query would of s.
func wrapIntrospection(s *introspection.Schema) ixSchema {
	var ref func(t *introspection.Type) ixTypeRef
	ref = func(t *introspection.Type) ixTypeRef {
		r := ixTypeRef{Kind: t.Kind(), Name: t.Name()}
		if of := t.OfType(); of != nil {
			o := ref(of)
			r.OfType = &o
		}
		return r
	}
	inputs := func(in []introspection.InputValue) []ixInput {
		out := make([]ixInput, len(in))
		for i, a := range in {
			out[i] = ixInput{Name: a.Name, Description: a.Description(), Type: ref(a.Type), DefaultValue: a.DefaultValue,
				IsDeprecated: a.IsDeprecated(), DeprecationReason: a.DeprecationReason()}
		}
		return out
	}
	var out ixSchema
	for _, t := range s.Types() {
		it := ixType{Kind: t.Kind(), Name: *t.Name(), Description: t.Description(), InputFields: inputs(t.VisibleInputFields(true))}
		for _, f := range t.Fields(true) {
			it.Fields = append(it.Fields, ixField{Name: f.Name, Description: f.Description(), Args: inputs(f.VisibleArgs(true)),
				Type: ref(f.Type), IsDeprecated: f.IsDeprecated(), DeprecationReason: f.DeprecationReason()})
		}
		for _, v := range t.EnumValues(true) {
			it.EnumValues = append(it.EnumValues, ixField{Name: v.Name, Description: v.Description(),
				IsDeprecated: v.IsDeprecated(), DeprecationReason: v.DeprecationReason()})
		}
		out.Types = append(out.Types, it)
	}
	return out
}

func TestSchemaEndpointOff(t *testing.T) {
	off := false
	h := newTestHandler(t, Config{Introspection: &off}, Deps{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/schema.graphql", nil))
	if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "type Query") {
		t.Errorf("GET /schema.graphql with introspection off: %d %s", rec.Code, rec.Body)
	}
}

// TestGraphiQLFollowsIntrospection: GET / (GraphiQL) is served exactly where introspection is allowed,
// whatever the mode.
func TestGraphiQLFollowsIntrospection(t *testing.T) {
	on, off := true, false
	for _, tt := range []struct {
		name string
		cfg  Config
		want int
	}{
		{"production, introspection on", Config{Mode: ModeProduction, Introspection: &on}, 200},
		{"development, introspection off", Config{Mode: ModeDevelopment, Introspection: &off}, 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, tt.cfg, Deps{})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != tt.want {
				t.Errorf("GET / = %d, want %d", rec.Code, tt.want)
			}
		})
	}
}
