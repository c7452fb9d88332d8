package graph

import (
	"context"
	"net/http"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/generated"
	"github.com/trellisgw/trellis/internal/opmemo"
	"github.com/vektah/gqlparser/v2/ast"
)

// mutatorProbe records the operation contexts its MutateOperationContext sees, in order.
type mutatorProbe struct {
	name string
	seen *[]string
}

func (p mutatorProbe) ExtensionName() string                 { return "TestMutatorProbe" + p.name }
func (mutatorProbe) Validate(graphql.ExecutableSchema) error { return nil }
func (p mutatorProbe) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if graphql.GetOperationContext(ctx) != oc {
		*p.seen = append(*p.seen, p.name+": not in its context")
	}
	*p.seen = append(*p.seen, p.name)
	return nil
}

// The transport's operation context is the executor's, the variables' second coercion left out: the
// same fields, the same mutators in the same order; with a default to fill in, the executor's own.
func TestOperationContextIsTheExecutors(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{})
	var seen []string
	exts := []graphql.HandlerExtension{
		requestRules{introspection: true, introspectionAt: &opmemo.Memo[*ast.Position]{}},
		extension.Introspection{},
		mutatorProbe{"a", &seen}, mutatorProbe{"b", &seen},
	}
	exec := executor.New(schema)
	exec.SetQueryCache(handedOver{})
	for _, ext := range exts {
		exec.Use(ext)
	}
	h := executeHandler{exec: exec, contextsOf: newOperationContexts(exec, exts)}
	if h.contextsOf == nil || h.contextsOf.proto.ResolverMiddleware == nil || h.contextsOf.proto.RootResolverMiddleware == nil {
		t.Fatal("the executor's field middleware was not found")
	}
	docs := documents{schema: schema.Schema(), limits: Limits{}.withDefaults()}
	for _, tt := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"variables given", `query P($upc: ID!) { product(upc: $upc) { name } }`, map[string]any{"upc": "p1"}},
		{"a default to fill in", `query T($n: Int = 3) { topProducts(first: $n) { name } }`, map[string]any{}},
		{"no variables", `{ __typename }`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := docs.load(context.Background(), tt.query)
			if errs != nil {
				t.Fatal(errs)
			}
			req := &httpRequest{method: http.MethodPost}
			req.op.query, req.op.doc = tt.query, doc
			ctx := graphql.StartOperationTrace(context.WithValue(context.Background(), httpRequestKey{}, req))
			params := func() *graphql.RawParams {
				return &graphql.RawParams{Query: tt.query, Variables: tt.vars, Headers: http.Header{"X": {"1"}}}
			}
			seen = nil
			want, errs := exec.CreateOperationContext(ctx, params())
			if errs != nil {
				t.Fatal(errs)
			}
			wantSeen := seen
			seen = nil
			got, errs := h.operationContext(ctx, params(), doc, doc.Operations[0])
			if errs != nil {
				t.Fatal(errs)
			}
			type fields struct {
				RawQuery, OperationName string
				Variables, Extensions   map[string]any
				Headers                 http.Header
				Doc                     *ast.QueryDocument
				Operation               *ast.OperationDefinition
				DisableIntrospection    bool
			}
			of := func(oc *graphql.OperationContext) fields {
				return fields{oc.RawQuery, oc.OperationName, oc.Variables, oc.Extensions, oc.Headers, oc.Doc, oc.Operation, oc.DisableIntrospection}
			}
			same := cmp.Comparer(func(a, b *ast.QueryDocument) bool { return a == b })
			sameOp := cmp.Comparer(func(a, b *ast.OperationDefinition) bool { return a == b })
			if diff := cmp.Diff(of(got), of(want), same, sameOp, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("operation context (-got +want):\n%s", diff)
			}
			if got.RecoverFunc == nil || got.ResolverMiddleware == nil || got.RootResolverMiddleware == nil {
				t.Error("the executor's recover func and field middleware are missing")
			}
			if diff := cmp.Diff(seen, wantSeen); diff != "" {
				t.Errorf("mutators (-got +want):\n%s", diff)
			}
		})
	}
}
