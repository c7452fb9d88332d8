package loaders

import (
	"context"
	"errors"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/trellisgw/trellis/upstreams"
)

// ErrNoLoaders means the request did not pass through Middleware: a wiring bug, not a client error.
var ErrNoLoaders = errors.New("loaders: none in the request context")

// User returns the user with id, or nil when there is none.
func User(ctx context.Context, id string) (*upstreams.User, error) {
	return load(ctx, id, func(l *Loaders) *dataloader.Loader[string, *upstreams.User] { return l.usersByID })
}

// Product returns the product with upc, or nil when there is none.
func Product(ctx context.Context, upc string) (*upstreams.Product, error) {
	return load(ctx, upc, func(l *Loaders) *dataloader.Loader[string, *upstreams.Product] { return l.productsByUPC })
}

// Stock returns the stock of the product with upc, or nil when the inventory does not know it.
func Stock(ctx context.Context, upc string) (*upstreams.Stock, error) {
	return load(ctx, upc, func(l *Loaders) *dataloader.Loader[string, *upstreams.Stock] { return l.stockByUPC })
}

// ReviewsOfProduct returns the reviews of the product with upc, oldest first.
func ReviewsOfProduct(ctx context.Context, upc string) ([]upstreams.Review, error) {
	return load(ctx, upc, func(l *Loaders) *dataloader.Loader[string, []upstreams.Review] { return l.reviewsByProduct })
}

// ReviewsByAuthor returns the reviews the user with id wrote, oldest first.
func ReviewsByAuthor(ctx context.Context, id string) ([]upstreams.Review, error) {
	return load(ctx, id, func(l *Loaders) *dataloader.Loader[string, []upstreams.Review] { return l.reviewsByAuthor })
}

// Order returns the order with id, or nil when there is none.
func Order(ctx context.Context, id string) (*upstreams.Order, error) {
	return load(ctx, id, func(l *Loaders) *dataloader.Loader[string, *upstreams.Order] { return l.ordersByID })
}

// OrdersOfBuyer returns the orders the user with id placed, newest first.
func OrdersOfBuyer(ctx context.Context, id string) ([]upstreams.Order, error) {
	return load(ctx, id, func(l *Loaders) *dataloader.Loader[string, []upstreams.Order] { return l.ordersByBuyer })
}

func load[V any](ctx context.Context, key string, pick func(*Loaders) *dataloader.Loader[string, V]) (V, error) {
	l := FromContext(ctx)
	if l == nil {
		var zero V
		return zero, ErrNoLoaders
	}
	return pick(l).Load(ctx, key)()
}
