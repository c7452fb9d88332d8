package graph

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/trellisgw/trellis/graph/errcode"
)

// SDL returns the schema in the GraphQL schema definition language, with its descriptions and
// directives, without the built-in types and directives and without gqlgen's code-generation
// directives (@goModel, @goField, …); types are sorted by name.
func SDL(schema *ast.Schema) string {
	served := *schema
	served.Directives = make(map[string]*ast.DirectiveDefinition, len(schema.Directives))
	for name, d := range schema.Directives {
		if !strings.HasPrefix(name, "go") {
			served.Directives[name] = d
		}
	}
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchema(&served)
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
