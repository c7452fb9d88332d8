package graph

import (
	"bytes"
	"net/http"
	"strings"
	"unicode"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/trellisgw/trellis/graph/errcode"
)

// ServedSchema returns schema as clients may see it: without gqlgen's code-generation directives
// (@goModel, @goField, @goTag, …: "go" and a capital letter) and without @defer and @stream, which
// the gateway refuses (incrementalRefusal). The gateway builds its executable schema over it
// (generated.Config.Schema), so that introspection, validation and GET /schema.graphql all show the
// same schema. schema itself is not changed: the copy shares its types.
func ServedSchema(schema *ast.Schema) *ast.Schema {
	served := *schema
	served.Directives = make(map[string]*ast.DirectiveDefinition, len(schema.Directives))
	for name, d := range schema.Directives {
		if !hiddenDirective(name) {
			served.Directives[name] = d
		}
	}
	return &served
}

// hiddenDirective reports whether a directive of the generated schema is left out of the served one.
func hiddenDirective(name string) bool {
	codegen := len(name) > 2 && strings.HasPrefix(name, "go") && unicode.IsUpper(rune(name[2]))
	return codegen || name == "defer" || name == "stream"
}

// SDL returns the served schema (ServedSchema) in the GraphQL schema definition language, with its
// descriptions and directives, without the built-in types and directives; types are sorted by name.
func SDL(schema *ast.Schema) string {
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchema(ServedSchema(schema))
	return buf.String()
}

// schemaHandler serves GET /schema.graphql: the SDL when introspection is enabled, else 404 with
// GRAPHQL_VALIDATION_FAILED (the schema is as private as introspection).
func schemaHandler(cfg Config, es graphql.ExecutableSchema) http.Handler {
	if !cfg.IntrospectionEnabled() {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, mediaJSON, http.StatusNotFound, errcode.New(errcode.ValidationFailed,
				"introspection is disabled on this gateway (server.introspection), and with it the schema document"))
		})
	}
	sdl := []byte(SDL(es.Schema()))
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(sdl)
	})
}
