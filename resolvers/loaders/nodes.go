package loaders

import (
	"context"

	"github.com/trellisgw/trellis/upstreams"
)

// NodeKeys are the keys of objects of several types that one resolver looks up at once (Query.nodes):
// users and reviews by id, products by UPC, orders by id.
type NodeKeys struct {
	Users, Products, Reviews, Orders []string
}

// NodeValues are the objects NodeKeys name, each list in the order of its keys, nil where there is
// none, and the look-ups that failed.
type NodeValues struct {
	Users    []*upstreams.User
	Products []*upstreams.Product
	Reviews  []*upstreams.Review
	Orders   []*upstreams.Order
	// Errs are the failures, per kind and in the order of its keys (nil: every look-up of the kind
	// succeeded); the value of a failed key is nil.
	Errs NodeErrors
}

// NodeErrors are the failed look-ups of a Nodes call, per kind, each list nil or as long as its keys.
type NodeErrors struct {
	Users, Products, Reviews, Orders []error
}

// Nodes returns the objects keys name. The missing keys of every kind are queued together and go out
// in the same round, one call per kind that has any (calling Users, Products, … one after the other
// would cost one round trip each). A failed look-up fails its keys only (NodeValues.Errs): the other
// kinds, and the other keys of its kind, are answered.
func (s *Set) Nodes(ctx context.Context, keys NodeKeys) NodeValues {
	op := fromContext(ctx)
	if op == nil || op.direct {
		return s.nodesDirect(ctx, keys)
	}
	op.mu.Lock()
	users := s.usersByID.enqueueLocked(op, keys.Users)
	products := s.productsByUPC.enqueueLocked(op, keys.Products)
	reviews := s.reviewsByID.enqueueLocked(op, keys.Reviews)
	orders := s.ordersByID.enqueueLocked(op, keys.Orders)
	// Every new key is in the open round now: waiting for the kinds one after the other waits for
	// that one round (and for earlier rounds still in flight), never for a round per kind.
	awaitLocked(op, users)
	awaitLocked(op, products)
	awaitLocked(op, reviews)
	awaitLocked(op, orders)
	op.mu.Unlock()
	var out NodeValues
	out.Users, out.Errs.Users = collectEach(users)
	out.Products, out.Errs.Products = collectEach(products)
	out.Reviews, out.Errs.Reviews = collectEach(reviews)
	out.Orders, out.Errs.Orders = collectEach(orders)
	return out
}

// nodesDirect is Nodes without levels (gqlgen's executor): one look-up per kind with keys.
func (s *Set) nodesDirect(ctx context.Context, keys NodeKeys) (out NodeValues) {
	if len(keys.Users) > 0 {
		vals, err := s.Users(ctx, keys.Users)
		out.Users, out.Errs.Users = each(len(keys.Users), vals, err)
	}
	if len(keys.Products) > 0 {
		vals, err := s.Products(ctx, keys.Products)
		out.Products, out.Errs.Products = each(len(keys.Products), vals, err)
	}
	if len(keys.Reviews) > 0 {
		vals, err := s.Reviews(ctx, keys.Reviews)
		out.Reviews, out.Errs.Reviews = each(len(keys.Reviews), vals, err)
	}
	if len(keys.Orders) > 0 {
		vals, err := s.Orders(ctx, keys.Orders)
		out.Orders, out.Errs.Orders = each(len(keys.Orders), vals, err)
	}
	return out
}

// each spreads the failure of a whole look-up of n keys over its keys, as collectEach gives them.
func each[V any](n int, vals []V, err error) ([]V, []error) {
	if err == nil {
		return vals, nil
	}
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return make([]V, n), errs
}
