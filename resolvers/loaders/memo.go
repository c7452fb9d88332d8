package loaders

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// Memo returns a gqlgen extension that gives each operation run by gqlgen's own executor (the
// engine's oracle in tests) a memo of its look-ups: every key is fetched once per operation, as under
// the engine, though calls are not merged across the sibling lists gqlgen batches one at a time.
// Without it a query as wide as the reference one sends thousands of concurrent calls.
func (s *Set) Memo() graphql.HandlerExtension { return memoExtension{s} }

type memoExtension struct{ s *Set }

var (
	_ graphql.HandlerExtension     = memoExtension{}
	_ graphql.OperationInterceptor = memoExtension{}
)

// ExtensionName implements graphql.HandlerExtension.
func (memoExtension) ExtensionName() string { return "TrellisLookUpMemo" }

// Validate implements graphql.HandlerExtension.
func (memoExtension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (m memoExtension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	ctx, _, _ = m.s.Begin(ctx)
	fromContext(ctx).direct = true
	return next(ctx)
}
