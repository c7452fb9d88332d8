package engine

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ElementErrors gives gqlgen's executor the engine's semantics of a list resolver that fails some of
// its elements: a resolver answering a list field with the list and a graphql.BatchErrors as long as
// it (nil for the elements served) has each failed element null with its error at the element's path,
// and the rest of the list served (see the generated bindings' handling of BatchErrors). Without it
// gqlgen's executor would null the whole field. Register it on every executor that may run such a
// field: the reference executor, and the one that answers introspection operations (which may select
// other fields too).
type ElementErrors struct{}

var (
	_ graphql.HandlerExtension = ElementErrors{}
	_ graphql.FieldInterceptor = ElementErrors{}
)

// ExtensionName implements graphql.HandlerExtension.
func (ElementErrors) ExtensionName() string { return "ElementErrors" }

// Validate implements graphql.HandlerExtension.
func (ElementErrors) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField implements graphql.FieldInterceptor.
func (ElementErrors) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	be, ok := err.(graphql.BatchErrors)
	if !ok {
		return res, err
	}
	v := reflect.ValueOf(res)
	if v.Kind() != reflect.Slice || v.Len() == 0 || v.Len() != len(be.Errors()) {
		return res, err
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return res, err
	}
	base := fc.Path()
	for i, e := range be.Errors() {
		if e == nil {
			continue
		}
		path := append(append(ast.Path{}, base...), ast.PathIndex(i))
		var loc gqlerror.Location
		if fc.Field.Field != nil && fc.Field.Position != nil {
			loc = gqlerror.Location{Line: fc.Field.Position.Line, Column: fc.Field.Position.Column}
		}
		graphql.AddError(ctx, errorAt(e, path, loc))
	}
	return res, nil
}
