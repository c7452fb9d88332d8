package gateway

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/trellisgw/trellis/graph/auth"
	"github.com/trellisgw/trellis/graph/cost"
	"github.com/trellisgw/trellis/graph/engine"
	"github.com/trellisgw/trellis/graph/generated"
	"github.com/trellisgw/trellis/internal/bufpool"
	"github.com/trellisgw/trellis/resolvers/loaders"
	"github.com/trellisgw/trellis/telemetry"
)

// WithReferenceExecutor executes operations with gqlgen's field-by-field executor instead of the
// engine: the engine's oracle in differential tests. Authorization and cost accounting then run as
// gqlgen field interceptors, and look-ups are not merged across fields. Not for production.
func WithReferenceExecutor() Option { return func(o *options) { o.reference = true } }

// executor returns the executable schema the handler runs and its extensions: the engine over gqlgen's
// schema, with the batching, authorization, cost and field spans as the engine's hooks — or,
// WithReferenceExecutor, gqlgen's own executor. The cost and authorization extensions are registered
// either way: their operation-level work (pricing, charging, extensions.cost) runs for every operation,
// their field interceptors only where gqlgen's executor runs (introspection, the reference).
func executor(schema graphql.ExecutableSchema, batches *loaders.Set, authz *auth.Rules, costs *cost.Extension,
	tel *telemetry.Telemetry, exts []graphql.HandlerExtension, planCacheSize int, buffers *bufpool.Pool, o options,
) (graphql.ExecutableSchema, []graphql.HandlerExtension, error) {
	exts = append(exts, costs, authz)
	if o.reference {
		return schema, append(exts, batches.Memo()), nil
	}
	// One plan per cached document (and per values of its @skip/@include variables, rarely more).
	opts := []engine.Option{engine.WithBatching(batches), engine.WithGuard(authz), engine.WithFieldObserver(costs),
		engine.WithPlanCacheSize(planCacheSize), engine.WithBuffers(buffers)}
	if !o.bare {
		if t := tel.FieldTracer(); t != nil {
			opts = append(opts, engine.WithTracer(t))
		}
	}
	e, err := engine.New(schema.Schema(), generated.EngineSchema(schema), opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("execution engine: %w", err)
	}
	return engine.NewExecutable(schema, e), exts, nil
}
