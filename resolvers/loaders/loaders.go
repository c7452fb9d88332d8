package loaders

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/graph/engine"
	"github.com/trellisgw/trellis/upstreams"
)

// Set holds the batched look-ups of every key kind over the typed clients. Make one per gateway; it
// implements engine.Batching, which gives each operation its own memo and level barrier.
type Set struct {
	usersByID        *kind[*upstreams.User]
	productsByUPC    *kind[*upstreams.Product]
	stockByUPC       *kind[*upstreams.Stock]
	reviewsByProduct *kind[[]upstreams.Review]
	reviewsByAuthor  *kind[[]upstreams.Review]
	reviewsByID      *kind[*upstreams.Review]
	ordersByID       *kind[*upstreams.Order]
	ordersByBuyer    *kind[[]upstreams.Order]
	kinds            int // the number of kinds: each has an idx below it
	sizes            metric.Int64Histogram
}

var _ engine.Batching = (*Set)(nil)

// New returns the look-ups over c.
func New(c *upstreams.Clients) *Set {
	meter := otel.Meter("github.com/trellisgw/trellis/resolvers/loaders")
	// The OpenTelemetry API only fails on invalid instrument names; this one is a constant.
	sizes, _ := meter.Int64Histogram("trellis.loader.batch_size",
		metric.WithDescription("Keys per batched upstream call."),
		metric.WithExplicitBucketBoundaries(1, 2, 5, 10, 20, 50, 100, 200, 500))
	s := &Set{sizes: sizes}
	s.usersByID = newKind(s, "users_by_id", byKey(c.Accounts.UsersByID, func(u upstreams.User) string { return u.ID }))
	s.productsByUPC = newKind(s, "products_by_upc", byKey(c.Products.ProductsByUPC, func(p upstreams.Product) string { return p.UPC }))
	s.stockByUPC = newKind(s, "stock_by_upc", byKey(c.Inventory.StockByUPC, func(s upstreams.Stock) string { return s.UPC }))
	s.reviewsByProduct = newKind(s, "reviews_by_product", grouped(c.Reviews.ByProducts, func(r upstreams.Review) string { return r.ProductUPC }))
	s.reviewsByAuthor = newKind(s, "reviews_by_author", grouped(c.Reviews.ByAuthors, func(r upstreams.Review) string { return r.AuthorID }))
	s.reviewsByID = newKind(s, "reviews_by_id", byKey(c.Reviews.ReviewsByID, func(r upstreams.Review) string { return r.ID }))
	s.ordersByID = newKind(s, "orders_by_id", byKey(c.Orders.OrdersByID, func(o upstreams.Order) string { return o.ID }))
	s.ordersByBuyer = newKind(s, "orders_by_buyer", mapped(c.Orders.OrdersByBuyers))
	return s
}

// Users returns the users with ids (nil where there is none), in order.
func (s *Set) Users(ctx context.Context, ids []string) ([]*upstreams.User, error) {
	return s.usersByID.load(ctx, ids)
}

// Products returns the products with upcs (nil where there is none), in order.
func (s *Set) Products(ctx context.Context, upcs []string) ([]*upstreams.Product, error) {
	return s.productsByUPC.load(ctx, upcs)
}

// Stock returns the stock of the products with upcs (nil where the inventory does not know one).
func (s *Set) Stock(ctx context.Context, upcs []string) ([]*upstreams.Stock, error) {
	return s.stockByUPC.load(ctx, upcs)
}

// ReviewsOfProducts returns the reviews of each product of upcs, oldest first, never nil.
func (s *Set) ReviewsOfProducts(ctx context.Context, upcs []string) ([][]upstreams.Review, error) {
	return s.reviewsByProduct.load(ctx, upcs)
}

// ReviewsByAuthors returns the reviews each user of ids wrote, oldest first, never nil.
func (s *Set) ReviewsByAuthors(ctx context.Context, ids []string) ([][]upstreams.Review, error) {
	return s.reviewsByAuthor.load(ctx, ids)
}

// Reviews returns the reviews with ids (nil where there is none), in order.
func (s *Set) Reviews(ctx context.Context, ids []string) ([]*upstreams.Review, error) {
	return s.reviewsByID.load(ctx, ids)
}

// Orders returns the orders with ids (nil where there is none), in order.
func (s *Set) Orders(ctx context.Context, ids []string) ([]*upstreams.Order, error) {
	return s.ordersByID.load(ctx, ids)
}

// OrdersOfBuyers returns the orders each user of ids placed, newest first, never nil.
func (s *Set) OrdersOfBuyers(ctx context.Context, ids []string) ([][]upstreams.Order, error) {
	return s.ordersByBuyer.load(ctx, ids)
}

// Do runs an upstream call that is not batched (a page, a write), telling the operation's level
// barrier that the calling resolver waits meanwhile, so that other resolvers' look-ups need not wait
// for it.
func Do[T any](ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	if op := fromContext(ctx); op != nil {
		op.mu.Lock()
		r := op.waitLocked()
		op.mu.Unlock()
		if r != nil {
			op.submit(task{kind: taskRound, round: r}) // beside this call, which does not wait for it
		}
		defer func() {
			op.mu.Lock()
			op.running++
			op.mu.Unlock()
		}()
	}
	return call(ctx)
}
