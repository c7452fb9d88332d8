package upstreams

import (
	"context"
	"net/url"

	"github.com/trellisgw/trellis/upstreams/rest"
)

// Reviews is the typed client of the reviews REST service.
type Reviews struct{ c *rest.Client }

// NewReviews wraps a REST client of the reviews service.
func NewReviews(c *rest.Client) *Reviews { return &Reviews{c: c} }

type reviewList struct {
	Reviews []Review `json:"reviews"`
}

// ReviewsByID returns the reviews with the given ids; unknown ids are absent.
func (r *Reviews) ReviewsByID(ctx context.Context, ids []string) ([]Review, error) {
	return batched(ctx, ids, func(ctx context.Context, chunk []string) ([]Review, error) {
		var out reviewList
		err := r.c.Get(ctx, "GET /reviews", "/reviews", url.Values{"id": chunk}, &out)
		return out.Reviews, err
	})
}

// ByProducts returns every review of the given products, oldest first.
func (r *Reviews) ByProducts(ctx context.Context, upcs []string) ([]Review, error) {
	return batched(ctx, upcs, func(ctx context.Context, chunk []string) ([]Review, error) {
		var out reviewList
		err := r.c.Get(ctx, "GET /reviews", "/reviews", url.Values{"product_upc": chunk}, &out)
		return out.Reviews, err
	})
}

// ByAuthors returns every review written by the given users, oldest first.
func (r *Reviews) ByAuthors(ctx context.Context, userIDs []string) ([]Review, error) {
	return batched(ctx, userIDs, func(ctx context.Context, chunk []string) ([]Review, error) {
		var out reviewList
		err := r.c.Get(ctx, "GET /reviews", "/reviews", url.Values{"author_id": chunk}, &out)
		return out.Reviews, err
	})
}

// Add stores a new review. Invalid input fails with upstreamerr.BadInput and a message naming the field.
func (r *Reviews) Add(ctx context.Context, in NewReview) (Review, error) {
	var out Review
	err := r.c.Post(ctx, "POST /reviews", "/reviews", in, &out)
	return out, err
}
