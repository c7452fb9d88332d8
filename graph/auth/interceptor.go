package auth

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/identity"
)

// The Rules as a gqlgen field interceptor, for operations gqlgen's own executor runs (introspection,
// and the engine's oracle in tests); the engine checks the same rules through FieldCheck.

// ExtensionName implements graphql.HandlerExtension.
func (r *Rules) ExtensionName() string { return "TrellisAuthorization" }

// Validate implements graphql.HandlerExtension.
func (r *Rules) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField implements graphql.FieldInterceptor: it refuses the field before its resolver runs
// when the caller may not see it, and checks the result of an @owner(result: true) field.
func (r *Rules) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	checkResult, err := r.beforeResolver(ctx)
	if err != nil {
		return nil, err
	}
	res, err := next(ctx)
	if checkResult {
		return r.resultOwned(ctx, res, err)
	}
	if fc := graphql.GetFieldContext(ctx); fc != nil && err == nil {
		if ru := r.byType[fc.Object][fc.Field.Name]; ru != nil && ru.owned != nil {
			return r.checkOwned(ctx, fc, ru, res), nil
		}
	}
	return res, err
}

// checkOwned enforces the owned types' rules on a result of gqlgen's executor (the engine's oracle in
// tests; the engine checks each object itself, knowing its type): an object the caller does not own
// becomes nil with FORBIDDEN at its path (a list's item at its index). gqlgen hands the interceptor Go
// values only, so an object's GraphQL type is taken to be its Go type's name, as the models bound in
// gqlgen.yml are named (upstreams.Order is Order).
func (r *Rules) checkOwned(ctx context.Context, fc *graphql.FieldContext, ru *rule, res any) any {
	c := identity.FromContext(ctx)
	if c.HasScope(r.adminScope) {
		return res
	}
	refused := func(v any) bool {
		rv := reflect.ValueOf(v)
		for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
			if rv.IsNil() {
				return false
			}
			rv = rv.Elem()
		}
		if !rv.IsValid() {
			return false
		}
		owner, ok := ru.owned[rv.Type().Name()]
		return ok && (c == nil || r.fieldOf(v, owner) != c.UserID)
	}
	deny := func(path ast.Path) {
		err := ownerOnly(fc.Object, fc.Field.Name)
		err.Path = path
		r.in.denial(ctx, errcode.Code(err))
		graphql.AddError(ctx, err)
	}
	rv := reflect.ValueOf(res)
	if rv.Kind() != reflect.Slice {
		if refused(res) {
			deny(fc.Path())
			return nil
		}
		return res
	}
	var out reflect.Value
	for i := range rv.Len() {
		item := rv.Index(i)
		if !refused(item.Interface()) {
			continue
		}
		if !out.IsValid() {
			out = reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len())
			reflect.Copy(out, rv)
		}
		out.Index(i).Set(reflect.Zero(item.Type()))
		deny(append(fc.Path(), ast.PathIndex(i)))
	}
	if out.IsValid() {
		return out.Interface()
	}
	return res
}

// beforeResolver is InterceptField's decision before the resolver runs: the error to answer the
// current field with instead of running its resolver (the denial is counted), or nil. checkResult is
// true when the owner is in the field's own result (@owner(result: true)): the resolver's answer must
// then pass through resultOwned. Callers that cannot own anything (anonymous, API keys without a user) are refused here,
// before the object is loaded.
func (r *Rules) beforeResolver(ctx context.Context) (checkResult bool, err error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return false, nil
	}
	ru := r.byType[fc.Object][fc.Field.Name]
	if ru == nil {
		return false, nil
	}
	c := identity.FromContext(ctx)
	if err := r.check(c, fc.Object, fc.Field.Name, ru, func() any { return parentResult(fc) }); err != nil {
		r.in.denial(ctx, errcode.Code(err))
		return false, err
	}
	if ru.resultOwner == "" {
		return false, nil
	}
	if !c.HasScope(r.adminScope) && (c == nil || c.UserID == "") {
		err := ownerOnly(fc.Object, fc.Field.Name)
		r.in.denial(ctx, errcode.Code(err))
		return false, err
	}
	return true, nil
}

// resultOwned enforces @owner(result: true) on the resolver's answer (res, err): a null result stays
// null; a result the caller does not own becomes null with FORBIDDEN; admins see everything.
func (r *Rules) resultOwned(ctx context.Context, res any, err error) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	c := identity.FromContext(ctx)
	if c.HasScope(r.adminScope) || isNil(res) {
		return res, err
	}
	ru := r.byType[fc.Object][fc.Field.Name]
	if c == nil || r.fieldOf(res, ru.resultOwner) != c.UserID {
		err := ownerOnly(fc.Object, fc.Field.Name)
		r.in.denial(ctx, errcode.Code(err))
		return nil, err
	}
	return res, err
}
