package upstreams

import (
	"context"
	"net/url"

	"github.com/trellisgw/trellis/upstreams/entitycache"
	"github.com/trellisgw/trellis/upstreams/rest"
)

// Reviews is the typed client of the reviews REST service.
type Reviews struct {
	c         *rest.Client
	byProduct *entitycache.Kind[[]Review] // nil: not cached
	byAuthor  *entitycache.Kind[[]Review] // nil: not cached
}

// NewReviews wraps a REST client of the reviews service.
func NewReviews(c *rest.Client) *Reviews { return &Reviews{c: c} }

type reviewList struct {
	Reviews []Review `json:"reviews"`
}

// ReviewsByID returns the reviews with the given ids; unknown ids are absent.
func (r *Reviews) ReviewsByID(ctx context.Context, ids []string) ([]Review, error) {
	return r.list(ctx, "id", ids) // at most one per id: decoded without growing
}

// ByProducts returns every review of the given products, oldest first per product. With the entity
// cache, only the products it misses are sent, and the reviews come grouped in the order of upcs.
func (r *Reviews) ByProducts(ctx context.Context, upcs []string) ([]Review, error) {
	return cachedGroups(ctx, r.byProduct, upcs, func(rv Review) string { return rv.ProductUPC }, func(ctx context.Context, upcs []string) ([]Review, error) {
		return r.list(ctx, "product_upc", upcs)
	})
}

// ByAuthors returns every review written by the given users, oldest first per user. With the entity
// cache, only the users it misses are sent, and the reviews come grouped in the order of userIDs.
func (r *Reviews) ByAuthors(ctx context.Context, userIDs []string) ([]Review, error) {
	return cachedGroups(ctx, r.byAuthor, userIDs, func(rv Review) string { return rv.AuthorID }, func(ctx context.Context, ids []string) ([]Review, error) {
		return r.list(ctx, "author_id", ids)
	})
}

// list calls GET /reviews?param=… for keys, MaxBatch keys per call. Each call's list is decoded into
// room for one review per key: how many a key has is not known, and starting from that many saves the
// list most of its growing (JSON decoding appends to the slice it is given).
func (r *Reviews) list(ctx context.Context, param string, keys []string) ([]Review, error) {
	return batched(ctx, keys, func(ctx context.Context, chunk []string) ([]Review, error) {
		out := reviewList{Reviews: make([]Review, 0, len(chunk))}
		err := r.c.Get(ctx, "GET /reviews", "/reviews", url.Values{param: chunk}, &out)
		return out.Reviews, err
	})
}

// Add stores a new review. Invalid input fails with upstreamerr.BadInput and a message naming the field.
// The cached reviews of its product and of its author are dropped, whatever the outcome.
func (r *Reviews) Add(ctx context.Context, in NewReview) (Review, error) {
	var out Review
	err := r.c.Post(ctx, "POST /reviews", "/reviews", in, &out)
	// Also after a failure: a timed-out call may have stored the review.
	r.byProduct.Invalidate(ctx, in.ProductUPC)
	r.byAuthor.Invalidate(ctx, in.AuthorID)
	return out, err
}
