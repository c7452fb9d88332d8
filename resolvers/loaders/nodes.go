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
// none.
type NodeValues struct {
	Users    []*upstreams.User
	Products []*upstreams.Product
	Reviews  []*upstreams.Review
	Orders   []*upstreams.Order
}

// Nodes returns the objects keys name. The missing keys of every kind are queued together and go out
// in the same round, one call per kind that has any (calling Users, Products, … one after the other
// would cost one round trip each). It fails with the first failed kind's error.
func (s *Set) Nodes(ctx context.Context, keys NodeKeys) (NodeValues, error) {
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
	var err error
	if out.Users, err = collect(users); err != nil {
		return NodeValues{}, err
	}
	if out.Products, err = collect(products); err != nil {
		return NodeValues{}, err
	}
	if out.Reviews, err = collect(reviews); err != nil {
		return NodeValues{}, err
	}
	if out.Orders, err = collect(orders); err != nil {
		return NodeValues{}, err
	}
	return out, nil
}

// nodesDirect is Nodes without levels (gqlgen's executor): one look-up per kind with keys.
func (s *Set) nodesDirect(ctx context.Context, keys NodeKeys) (out NodeValues, err error) {
	if len(keys.Users) > 0 {
		if out.Users, err = s.Users(ctx, keys.Users); err != nil {
			return NodeValues{}, err
		}
	}
	if len(keys.Products) > 0 {
		if out.Products, err = s.Products(ctx, keys.Products); err != nil {
			return NodeValues{}, err
		}
	}
	if len(keys.Reviews) > 0 {
		if out.Reviews, err = s.Reviews(ctx, keys.Reviews); err != nil {
			return NodeValues{}, err
		}
	}
	if len(keys.Orders) > 0 {
		if out.Orders, err = s.Orders(ctx, keys.Orders); err != nil {
			return NodeValues{}, err
		}
	}
	return out, nil
}
