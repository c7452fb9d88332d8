package engine

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// Executable is gqlgen's executable schema with its field execution replaced by the engine: gqlgen's
// executor still parses, validates, coerces variables and runs the operation-level extensions
// (persisted queries, limits, cost, telemetry); Exec hands queries and mutations to the engine.
// Operations that select __schema or __type (introspection) keep gqlgen's own execution, as do
// subscriptions, which the gateway does not serve.
type Executable struct {
	graphql.ExecutableSchema
	engine *Engine
}

// NewExecutable returns es with its operations executed by e.
func NewExecutable(es graphql.ExecutableSchema, e *Engine) *Executable {
	return &Executable{ExecutableSchema: es, engine: e}
}

// Exec implements graphql.ExecutableSchema.
func (x *Executable) Exec(ctx context.Context) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation == "subscription" || !x.engine.Plans(oc) {
		return x.ExecutableSchema.Exec(ctx)
	}
	done := false
	return func(ctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		return x.engine.Execute(ctx, oc)
	}
}
