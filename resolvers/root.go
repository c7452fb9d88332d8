package resolvers

import "github.com/trellisgw/trellis/graph/generated"

// root is the generated.ResolverRoot that Config hands to gqlgen. The engine and gqlgen's executor ask
// the root for a type's resolver on every call (e.Resolvers.Product().InStock(…)), and the methods
// gqlgen lays out on Resolver allocate a new one each time: root answers with values made once. A type
// added to the schema later falls through to the embedded Resolver's method until it is listed here.
type root struct {
	*Resolver
	mutation  generated.MutationResolver
	order     generated.OrderResolver
	orderItem generated.OrderItemResolver
	product   generated.ProductResolver
	query     generated.QueryResolver
	review    generated.ReviewResolver
	user      generated.UserResolver
}

var _ generated.ResolverRoot = (*root)(nil)

func newRoot(r *Resolver) *root {
	return &root{
		Resolver:  r,
		mutation:  r.Mutation(),
		order:     r.Order(),
		orderItem: r.OrderItem(),
		product:   r.Product(),
		query:     r.Query(),
		review:    r.Review(),
		user:      r.User(),
	}
}

// Mutation implements generated.ResolverRoot.
func (r *root) Mutation() generated.MutationResolver { return r.mutation }

// Order implements generated.ResolverRoot.
func (r *root) Order() generated.OrderResolver { return r.order }

// OrderItem implements generated.ResolverRoot.
func (r *root) OrderItem() generated.OrderItemResolver { return r.orderItem }

// Product implements generated.ResolverRoot.
func (r *root) Product() generated.ProductResolver { return r.product }

// Query implements generated.ResolverRoot.
func (r *root) Query() generated.QueryResolver { return r.query }

// Review implements generated.ResolverRoot.
func (r *root) Review() generated.ReviewResolver { return r.review }

// User implements generated.ResolverRoot.
func (r *root) User() generated.UserResolver { return r.user }
