package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// operationContexts makes the operation context of an operation whose document the transport loaded
// and whose variables it coerced, as the executor's CreateOperationContext makes it (the same fields,
// the same operation-context mutators in the same order), without coercing the variables a second
// time: gqlparser's VariableValues walks them by reflection (about 25 allocations for the mutation's
// input list) and changes nothing in what coerceVariables returns (FuzzCoerceVariables). Where it
// would change something, a declared variable not given that has a default, the executor makes the
// context.
type operationContexts struct {
	// proto holds what the executor puts in every operation context before it parses: the recover
	// func and the field middleware its extensions make, which are not exported otherwise.
	proto    *graphql.OperationContext
	mutators []graphql.OperationContextMutator
}

// newOperationContexts returns the operation contexts of exec, whose extensions are exts in the
// order they were added; nil when one of them mutates the request's parameters (its executor must
// see every request first).
func newOperationContexts(exec *executor.Executor, exts []graphql.HandlerExtension) *operationContexts {
	oc := &operationContexts{}
	for _, ext := range exts {
		if _, ok := ext.(graphql.OperationParameterMutator); ok {
			return nil
		}
		if m, ok := ext.(graphql.OperationContextMutator); ok {
			oc.mutators = append(oc.mutators, m)
		}
	}
	// No query: the executor fills in the context's fields and stops at parsing, before any extension
	// runs.
	oc.proto, _ = exec.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{})
	return oc
}

// operationContext returns the operation context of op, the operation of doc that params name,
// with params.Variables coerced (coerceVariables). ctx must carry the operation's start time
// (graphql.StartOperationTrace).
func (h executeHandler) operationContext(ctx context.Context, params *graphql.RawParams, doc *ast.QueryDocument, op *ast.OperationDefinition) (*graphql.OperationContext, gqlerror.List) {
	c := h.contextsOf
	if c == nil || takesDefault(op, params.Variables) {
		return h.exec.CreateOperationContext(ctx, params)
	}
	now := graphql.Now()
	oc := &graphql.OperationContext{
		RawQuery:               params.Query,
		Variables:              params.Variables,
		OperationName:          params.OperationName,
		Doc:                    doc,
		Headers:                params.Headers,
		Extensions:             params.Extensions,
		Operation:              op,
		DisableIntrospection:   true,
		RecoverFunc:            c.proto.RecoverFunc,
		ResolverMiddleware:     c.proto.ResolverMiddleware,
		RootResolverMiddleware: c.proto.RootResolverMiddleware,
		Stats: graphql.Stats{
			Read:           params.ReadTime,
			OperationStart: graphql.GetStartTime(ctx),
			Parsing:        graphql.TraceTiming{Start: now, End: now}, // loaded before: documents.load
			Validation:     graphql.TraceTiming{Start: now, End: now},
		},
	}
	ctx = graphql.WithOperationContext(ctx, oc)
	for _, m := range c.mutators {
		if err := m.MutateOperationContext(ctx, oc); err != nil {
			return oc, gqlerror.List{err}
		}
	}
	return oc, nil
}

// takesDefault reports whether a variable of op that vars does not give has a default value (which
// the executor's coercion fills in).
func takesDefault(op *ast.OperationDefinition, vars map[string]any) bool {
	for _, v := range op.VariableDefinitions {
		if _, given := vars[v.Variable]; !given && v.DefaultValue != nil {
			return true
		}
	}
	return false
}
