package gateway

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/auth"
	"github.com/trellisgw/trellis/graph/cost"
	"github.com/trellisgw/trellis/resolvers/loaders"
)

// gqlgen wraps every field resolution in each registered FieldInterceptor, one closure allocation per
// interceptor and field (about 4,800 fields in the reference query). The gateway's three per-field
// extensions (the batch scheduler's count, authorization rules, actual-cost counting) therefore run in
// one interceptor, fieldWork, and are registered through wrappers that hide their own InterceptField.
// Their InterceptField methods stay for using each extension alone (their packages' tests do).

// fieldWork is the one field interceptor of the loaders, the authorization rules and the cost
// accounting, in the order their separate interceptors had: the loaders around everything (they must
// see every field finish, a refused or panicking one included), then authorization (a refused field's
// resolver does not run), then cost (it counts what the resolver returned).
type fieldWork struct {
	loaders *loaders.Extension
	authz   *auth.Rules
	cost    *cost.Extension
}

// Interface guards.
var (
	_ graphql.HandlerExtension        = (*fieldWork)(nil)
	_ graphql.FieldInterceptor        = (*fieldWork)(nil)
	_ graphql.HandlerExtension        = loadersOperations{}
	_ graphql.OperationInterceptor    = loadersOperations{}
	_ graphql.RootFieldInterceptor    = loadersOperations{}
	_ graphql.HandlerExtension        = costOperations{}
	_ graphql.OperationContextMutator = costOperations{}
	_ graphql.OperationInterceptor    = costOperations{}
	_ graphql.ResponseInterceptor     = costOperations{}
)

// ExtensionName implements graphql.HandlerExtension.
func (w *fieldWork) ExtensionName() string { return "TrellisFieldWork" }

// Validate implements graphql.HandlerExtension; the wrapped extensions are validated through their
// own registrations.
func (w *fieldWork) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField implements graphql.FieldInterceptor.
func (w *fieldWork) InterceptField(ctx context.Context, next graphql.Resolver) (res any, err error) {
	l := loaders.FromContext(ctx)
	if l != nil {
		defer func() {
			if p := recover(); p != nil {
				l.FieldPanicked()
				panic(p) // gqlgen's recover turns it into a field error
			}
		}()
	}
	var checkResult bool
	if checkResult, err = w.authz.Check(ctx); err == nil {
		res, err = next(ctx)
		if checkResult {
			res, err = w.authz.CheckResult(ctx, res, err)
		}
		w.cost.CountField(ctx, res, err)
	}
	w.loaders.FieldFinished(ctx, l, res, err)
	return res, err
}

// loadersOperations registers the loaders extension without its field interceptor (see fieldWork).
type loadersOperations struct{ e *loaders.Extension }

// ExtensionName implements graphql.HandlerExtension.
func (o loadersOperations) ExtensionName() string { return o.e.ExtensionName() }

// Validate implements graphql.HandlerExtension.
func (o loadersOperations) Validate(es graphql.ExecutableSchema) error { return o.e.Validate(es) }

// InterceptOperation implements graphql.OperationInterceptor.
func (o loadersOperations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return o.e.InterceptOperation(ctx, next)
}

// InterceptRootField implements graphql.RootFieldInterceptor.
func (o loadersOperations) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	return o.e.InterceptRootField(ctx, next)
}

// costOperations registers the cost extension without its field interceptor (see fieldWork).
type costOperations struct{ e *cost.Extension }

// ExtensionName implements graphql.HandlerExtension.
func (o costOperations) ExtensionName() string { return o.e.ExtensionName() }

// Validate implements graphql.HandlerExtension.
func (o costOperations) Validate(es graphql.ExecutableSchema) error { return o.e.Validate(es) }

// MutateOperationContext implements graphql.OperationContextMutator.
func (o costOperations) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	return o.e.MutateOperationContext(ctx, oc)
}

// InterceptOperation implements graphql.OperationInterceptor.
func (o costOperations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return o.e.InterceptOperation(ctx, next)
}

// InterceptResponse implements graphql.ResponseInterceptor.
func (o costOperations) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return o.e.InterceptResponse(ctx, next)
}

// fieldExtensions returns the extensions to register, in this order, in place of the loaders, the
// authorization rules and the cost extension.
func fieldExtensions(l *loaders.Extension, authz *auth.Rules, c *cost.Extension) []graphql.HandlerExtension {
	return []graphql.HandlerExtension{loadersOperations{l}, costOperations{c}, &fieldWork{loaders: l, authz: authz, cost: c}}
}
