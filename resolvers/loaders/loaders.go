package loaders

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/upstreams"
)

// Loaders holds one operation's loaders, one per upstream key kind, and their scheduler.
type Loaders struct {
	s                *scheduler
	usersByID        *loader[*upstreams.User]
	productsByUPC    *loader[*upstreams.Product]
	stockByUPC       *loader[*upstreams.Stock]
	reviewsByProduct *loader[[]upstreams.Review]
	reviewsByAuthor  *loader[[]upstreams.Review]
	ordersByID       *loader[*upstreams.Order]
	ordersByBuyer    *loader[[]upstreams.Order]

	// selected caches, per selection set and object type, how many fields gqlgen resolves on each
	// object: the same selection set is met once per object of a list, and CollectFields (with the
	// key of its own cache) costs more than the rest of the count.
	selectedMu sync.Mutex
	selected   map[selectionKey]int
}

// selectionKey identifies a selection set of the operation (CollectFields returns the same merged
// slice for the same fields of an operation) on one object type.
type selectionKey struct {
	first *ast.Selection
	n     int
	typ   string
}

// fieldsPerObject returns how many fields gqlgen resolves on each object of type typ under sel
// (__typename excepted), computed once per operation.
func (l *Loaders) fieldsPerObject(ctx context.Context, sel ast.SelectionSet, typ string) int {
	if len(sel) == 0 {
		return 0
	}
	key := selectionKey{first: &sel[0], n: len(sel), typ: typ}
	l.selectedMu.Lock()
	n, ok := l.selected[key]
	l.selectedMu.Unlock()
	if ok {
		return n
	}
	n = countFields(graphql.CollectFields(graphql.GetOperationContext(ctx), sel, []string{typ}))
	l.selectedMu.Lock()
	l.selected[key] = n
	l.selectedMu.Unlock()
	return n
}

// instruments are the loaders' metrics, created once per Extension.
type instruments struct {
	batchSizes metric.Int64Histogram
	forced     metric.Int64Counter
}

func newInstruments() instruments {
	meter := otel.Meter("github.com/trellisgw/trellis/resolvers/loaders")
	// The OpenTelemetry API only fails on invalid instrument names; these are constants.
	sizes, _ := meter.Int64Histogram("trellis.loader.batch_size",
		metric.WithDescription("Keys per batched upstream call."),
		metric.WithExplicitBucketBoundaries(1, 2, 5, 10, 20, 50, 100, 200, 500))
	forced, _ := meter.Int64Counter("trellis.loader.forced_flushes",
		metric.WithDescription("Batches sent by the watchdog instead of when every field waited; non-zero means a miscount."))
	return instruments{batchSizes: sizes, forced: forced}
}

func newLoaders(ctx context.Context, c *upstreams.Clients, cfg Config, in instruments, shared *atomic.Uint64) (*Loaders, func()) {
	s := newScheduler(ctx, cfg.MaxWait, func() { in.forced.Add(ctx, 1) }, shared)
	l := &Loaders{
		s:                s,
		usersByID:        newLoader(s, in, "users_by_id", byKey(c.Accounts.UsersByID, func(u upstreams.User) string { return u.ID })),
		productsByUPC:    newLoader(s, in, "products_by_upc", byKey(c.Products.ProductsByUPC, func(p upstreams.Product) string { return p.UPC })),
		stockByUPC:       newLoader(s, in, "stock_by_upc", byKey(c.Inventory.StockByUPC, func(s upstreams.Stock) string { return s.UPC })),
		reviewsByProduct: newLoader(s, in, "reviews_by_product", grouped(c.Reviews.ByProducts, func(r upstreams.Review) string { return r.ProductUPC })),
		reviewsByAuthor:  newLoader(s, in, "reviews_by_author", grouped(c.Reviews.ByAuthors, func(r upstreams.Review) string { return r.AuthorID })),
		ordersByID:       newLoader(s, in, "orders_by_id", byKey(c.Orders.OrdersByID, func(o upstreams.Order) string { return o.ID })),
		ordersByBuyer:    newLoader(s, in, "orders_by_buyer", mapped(c.Orders.OrdersByBuyers)),
		selected:         map[selectionKey]int{},
	}
	return l, s.close
}

func newLoader[V any](s *scheduler, in instruments, name string, fetch fetchFunc[V]) *loader[V] {
	return &loader[V]{
		name: name, s: s, fetch: fetch, cache: map[string]*future[V]{}, queues: map[int]*keyQueue[V]{},
		sizes: in.batchSizes, attrs: metric.WithAttributes(attribute.String("loader", name)),
	}
}

type ctxKey struct{}

// NewContext returns ctx carrying l.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the operation's loaders, or nil when there are none.
func FromContext(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}

// ErrNoLoaders means the operation did not pass through Extension: a wiring bug, not a client error.
var ErrNoLoaders = errors.New("loaders: none in the operation context")

// Do runs an upstream call that is not batched (a page, a write) on behalf of the current field,
// telling the scheduler that the field is waiting meanwhile, so that other fields' batches need not
// wait for it.
func Do[T any](ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	if l := FromContext(ctx); l != nil {
		defer l.s.wait(fieldDepth(ctx))()
	}
	return call(ctx)
}

func get[V any](ctx context.Context, key string, pick func(*Loaders) *loader[V]) (V, error) {
	l := FromContext(ctx)
	if l == nil {
		var zero V
		return zero, ErrNoLoaders
	}
	return pick(l).load(ctx, key)
}

// User returns the user with id, or nil when there is none.
func User(ctx context.Context, id string) (*upstreams.User, error) {
	return get(ctx, id, func(l *Loaders) *loader[*upstreams.User] { return l.usersByID })
}

// Product returns the product with upc, or nil when there is none.
func Product(ctx context.Context, upc string) (*upstreams.Product, error) {
	return get(ctx, upc, func(l *Loaders) *loader[*upstreams.Product] { return l.productsByUPC })
}

// Stock returns the stock of the product with upc, or nil when the inventory does not know it.
func Stock(ctx context.Context, upc string) (*upstreams.Stock, error) {
	return get(ctx, upc, func(l *Loaders) *loader[*upstreams.Stock] { return l.stockByUPC })
}

// ReviewsOfProduct returns the reviews of the product with upc, oldest first.
func ReviewsOfProduct(ctx context.Context, upc string) ([]upstreams.Review, error) {
	return get(ctx, upc, func(l *Loaders) *loader[[]upstreams.Review] { return l.reviewsByProduct })
}

// ReviewsByAuthor returns the reviews the user with id wrote, oldest first.
func ReviewsByAuthor(ctx context.Context, id string) ([]upstreams.Review, error) {
	return get(ctx, id, func(l *Loaders) *loader[[]upstreams.Review] { return l.reviewsByAuthor })
}

// Order returns the order with id, or nil when there is none.
func Order(ctx context.Context, id string) (*upstreams.Order, error) {
	return get(ctx, id, func(l *Loaders) *loader[*upstreams.Order] { return l.ordersByID })
}

// OrdersOfBuyer returns the orders the user with id placed, newest first.
func OrdersOfBuyer(ctx context.Context, id string) ([]upstreams.Order, error) {
	return get(ctx, id, func(l *Loaders) *loader[[]upstreams.Order] { return l.ordersByBuyer })
}

// fieldDepth returns the number of fields on the current field's response path (list indexes are not
// counted): the depth level of the batching invariant.
func fieldDepth(ctx context.Context) int {
	d := 0
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Index == nil {
			d++
		}
	}
	return d
}
