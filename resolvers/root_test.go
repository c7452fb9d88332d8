package resolvers

import (
	"testing"

	"github.com/trellisgw/trellis/graph/generated"
)

// TestRootMakesTypeResolversOnce checks that the root handed to gqlgen answers every type's resolver
// without allocating (the executor asks for one per field), and with a resolver over the same Resolver.
func TestRootMakesTypeResolversOnce(t *testing.T) {
	r := New(nil, nil)
	rt, ok := r.Config().Resolvers.(*root)
	if !ok {
		t.Fatalf("Config().Resolvers is %T, want *root", r.Config().Resolvers)
	}
	tests := []struct {
		name string
		get  func() any
	}{
		{"Mutation", func() any { return rt.Mutation() }},
		{"Order", func() any { return rt.Order() }},
		{"OrderItem", func() any { return rt.OrderItem() }},
		{"Product", func() any { return rt.Product() }},
		{"Query", func() any { return rt.Query() }},
		{"Review", func() any { return rt.Review() }},
		{"User", func() any { return rt.User() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.get() == nil {
				t.Fatal("nil resolver")
			}
			if n := testing.AllocsPerRun(100, func() { _ = tt.get() }); n != 0 {
				t.Errorf("%v allocations per call, want 0", n)
			}
		})
	}
	var _ generated.ResolverRoot = rt
}
