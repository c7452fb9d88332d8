package gateway

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/trellisgw/trellis/graph/cost"
	"github.com/trellisgw/trellis/resolvers/loaders"
	"github.com/trellisgw/trellis/upstreams"
)

// TestFieldExtensionsOneFieldInterceptor checks that the loaders, authorization and cost extensions
// cost gqlgen one field interceptor, not three, and keep their other interceptors.
func TestFieldExtensionsOneFieldInterceptor(t *testing.T) {
	clients, err := upstreams.New(upstreams.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = clients.Close() })
	exts := fieldExtensions(loaders.NewExtension(clients, loaders.Config{}), nil, cost.NewExtension(cost.Config{}))
	var fields, ops, roots, responses, mutators int
	for _, e := range exts {
		if _, ok := e.(graphql.FieldInterceptor); ok {
			fields++
		}
		if _, ok := e.(graphql.OperationInterceptor); ok {
			ops++
		}
		if _, ok := e.(graphql.RootFieldInterceptor); ok {
			roots++
		}
		if _, ok := e.(graphql.ResponseInterceptor); ok {
			responses++
		}
		if _, ok := e.(graphql.OperationContextMutator); ok {
			mutators++
		}
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"field interceptors", fields, 1},
		{"operation interceptors (loaders, cost)", ops, 2},
		{"root field interceptors (loaders)", roots, 1},
		{"response interceptors (cost)", responses, 1},
		{"operation context mutators (cost)", mutators, 1},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}
