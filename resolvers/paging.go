package resolvers

import (
	"context"

	"github.com/trellisgw/trellis/resolvers/loaders"
	"github.com/trellisgw/trellis/upstreams"
)

// connectionArgs checks a connection's `first` (default 10) and `after` arguments and returns the page
// size and the offset of the page's first item.
func connectionArgs(first *int, after *string) (n, offset int, err error) {
	if n, err = firstArg(first, 10); err != nil {
		return 0, 0, err
	}
	offset, err = afterArg(after)
	return n, offset, err
}

// fetchPage fetches the page that a connection's arguments ask for from a paged upstream listing.
// It always asks for at least one item, so that `first: 0` still learns the total.
func fetchPage[T any](ctx context.Context, first *int, after *string,
	list func(ctx context.Context, offset, limit int) (upstreams.Page[T], error),
) (items []T, offset, total int, err error) {
	n, offset, err := connectionArgs(first, after)
	if err != nil {
		return nil, 0, 0, err
	}
	page, err := loaders.Do(ctx, func(ctx context.Context) (upstreams.Page[T], error) {
		return list(ctx, offset, max(n, 1))
	})
	if err != nil {
		return nil, 0, 0, err
	}
	return head(page.Items, n), offset, page.Total, nil
}
