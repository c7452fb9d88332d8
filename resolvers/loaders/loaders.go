// Package loaders batches the resolvers' upstream look-ups per request with graph-gophers/dataloader/v7:
// one loader per (upstream, key kind), created for each request and dropped with it, so that a query
// level costs one upstream call per key kind and identical objects are fetched once per request.
//
// The batch window. dataloader's default 16 ms window starts at the first Load and is paid once per
// query level, so a six-level query would idle ~100 ms. gqlgen starts the resolvers of one level as
// goroutines in a tight loop, so on an idle machine all of a level's Loads arrive within tens of
// microseconds; under load (or -race) a wide level of hundreds of objects takes a few hundred. A 500 µs
// window keeps every level in one batch with margin while adding at most half a millisecond per level;
// MaxBatch dispatches full batches at once. The window is configurable (Config.BatchWait).
//
// Loaders are per request on purpose: dataloader hands the batch function the context of the first Load
// of a window, and its cache never expires; sharing loaders would mix callers and serve stale data.
package loaders

import (
	"context"
	"net/http"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/trellisgw/trellis/upstreams"
)

// Loaders holds one request's loaders, one per upstream key kind.
type Loaders struct {
	usersByID        *dataloader.Loader[string, *upstreams.User]
	productsByUPC    *dataloader.Loader[string, *upstreams.Product]
	stockByUPC       *dataloader.Loader[string, *upstreams.Stock]
	reviewsByProduct *dataloader.Loader[string, []upstreams.Review]
	reviewsByAuthor  *dataloader.Loader[string, []upstreams.Review]
	ordersByID       *dataloader.Loader[string, *upstreams.Order]
	ordersByBuyer    *dataloader.Loader[string, []upstreams.Order]
}

// New returns fresh loaders over the clients c for one request. cfg's zero fields take their defaults.
func New(c *upstreams.Clients, cfg Config) *Loaders {
	cfg = cfg.WithDefaults()
	return &Loaders{
		usersByID:        newLoader(cfg, byKey(c.Accounts.UsersByID, func(u upstreams.User) string { return u.ID })),
		productsByUPC:    newLoader(cfg, byKey(c.Products.ProductsByUPC, func(p upstreams.Product) string { return p.UPC })),
		stockByUPC:       newLoader(cfg, byKey(c.Inventory.StockByUPC, func(s upstreams.Stock) string { return s.UPC })),
		reviewsByProduct: newLoader(cfg, grouped(c.Reviews.ByProducts, func(r upstreams.Review) string { return r.ProductUPC })),
		reviewsByAuthor:  newLoader(cfg, grouped(c.Reviews.ByAuthors, func(r upstreams.Review) string { return r.AuthorID })),
		ordersByID:       newLoader(cfg, byKey(c.Orders.OrdersByID, func(o upstreams.Order) string { return o.ID })),
		ordersByBuyer:    newLoader(cfg, mapped(c.Orders.OrdersByBuyers)),
	}
}

func newLoader[V any](cfg Config, fn dataloader.BatchFunc[string, V]) *dataloader.Loader[string, V] {
	return dataloader.NewBatchedLoader(fn,
		dataloader.WithWait[string, V](cfg.BatchWait),
		dataloader.WithBatchCapacity[string, V](cfg.MaxBatch),
		dataloader.WithInputCapacity[string, V](cfg.MaxBatch),
	)
}

type ctxKey struct{}

// NewContext returns ctx carrying l.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the request's loaders, or nil when the request has none.
func FromContext(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}

// Middleware gives every request its own Loaders over c.
func Middleware(c *upstreams.Clients, cfg Config) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), New(c, cfg))))
		})
	}
}
