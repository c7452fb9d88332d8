package resolvers

import "github.com/trellisgw/trellis/graph/generated"

// root is the generated.ResolverRoot that Config hands to gqlgen. The executor asks the root for a
// type's resolver on every field it resolves (ec.resolvers.Product().InStock(…)), and the methods gqlgen
// lays out on Resolver allocate a new one each time (about 1,400 allocations per reference query): root
// answers with values made once. A type added to the schema later falls through to the embedded
// Resolver's method until it is listed here.
type root struct {
	*Resolver
	addReviewPayload  generated.AddReviewPayloadResolver
	mutation          generated.MutationResolver
	order             generated.OrderResolver
	orderConnection   generated.OrderConnectionResolver
	orderEdge         generated.OrderEdgeResolver
	orderItem         generated.OrderItemResolver
	placeOrderPayload generated.PlaceOrderPayloadResolver
	product           generated.ProductResolver
	productConnection generated.ProductConnectionResolver
	productEdge       generated.ProductEdgeResolver
	query             generated.QueryResolver
	review            generated.ReviewResolver
	user              generated.UserResolver
	userConnection    generated.UserConnectionResolver
	userEdge          generated.UserEdgeResolver
}

var _ generated.ResolverRoot = (*root)(nil)

func newRoot(r *Resolver) *root {
	return &root{
		Resolver:          r,
		addReviewPayload:  r.AddReviewPayload(),
		mutation:          r.Mutation(),
		order:             r.Order(),
		orderConnection:   r.OrderConnection(),
		orderEdge:         r.OrderEdge(),
		orderItem:         r.OrderItem(),
		placeOrderPayload: r.PlaceOrderPayload(),
		product:           r.Product(),
		productConnection: r.ProductConnection(),
		productEdge:       r.ProductEdge(),
		query:             r.Query(),
		review:            r.Review(),
		user:              r.User(),
		userConnection:    r.UserConnection(),
		userEdge:          r.UserEdge(),
	}
}

// AddReviewPayload implements generated.ResolverRoot.
func (r *root) AddReviewPayload() generated.AddReviewPayloadResolver { return r.addReviewPayload }

// Mutation implements generated.ResolverRoot.
func (r *root) Mutation() generated.MutationResolver { return r.mutation }

// Order implements generated.ResolverRoot.
func (r *root) Order() generated.OrderResolver { return r.order }

// OrderConnection implements generated.ResolverRoot.
func (r *root) OrderConnection() generated.OrderConnectionResolver { return r.orderConnection }

// OrderEdge implements generated.ResolverRoot.
func (r *root) OrderEdge() generated.OrderEdgeResolver { return r.orderEdge }

// OrderItem implements generated.ResolverRoot.
func (r *root) OrderItem() generated.OrderItemResolver { return r.orderItem }

// PlaceOrderPayload implements generated.ResolverRoot.
func (r *root) PlaceOrderPayload() generated.PlaceOrderPayloadResolver { return r.placeOrderPayload }

// Product implements generated.ResolverRoot.
func (r *root) Product() generated.ProductResolver { return r.product }

// ProductConnection implements generated.ResolverRoot.
func (r *root) ProductConnection() generated.ProductConnectionResolver { return r.productConnection }

// ProductEdge implements generated.ResolverRoot.
func (r *root) ProductEdge() generated.ProductEdgeResolver { return r.productEdge }

// Query implements generated.ResolverRoot.
func (r *root) Query() generated.QueryResolver { return r.query }

// Review implements generated.ResolverRoot.
func (r *root) Review() generated.ReviewResolver { return r.review }

// User implements generated.ResolverRoot.
func (r *root) User() generated.UserResolver { return r.user }

// UserConnection implements generated.ResolverRoot.
func (r *root) UserConnection() generated.UserConnectionResolver { return r.userConnection }

// UserEdge implements generated.ResolverRoot.
func (r *root) UserEdge() generated.UserEdgeResolver { return r.userEdge }
