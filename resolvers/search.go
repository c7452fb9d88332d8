package resolvers

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/model"
	"github.com/trellisgw/trellis/resolvers/loaders"
	"github.com/trellisgw/trellis/upstreams"
)

// maxSearchChars is the longest search text, in characters (as the sample services accept).
const maxSearchChars = 100

// searchText checks Query.search's text: 1..maxSearchChars characters.
func searchText(text string) error {
	if n := utf8.RuneCountInString(text); n == 0 || n > maxSearchChars {
		return errcode.BadInput("text", "text must be 1 to "+strconv.Itoa(maxSearchChars)+" characters")
	}
	return nil
}

// search asks the accounts and the products services at once for up to n matches each, and returns
// the users, then the products, at most n in all. The two calls are unbatched (one resolver call
// each), so they run inside one loaders.Do: the level's look-ups need not wait for them.
func (r *Resolver) search(ctx context.Context, text string, n int) ([]model.SearchResult, error) {
	type found struct {
		users    []upstreams.User
		products []upstreams.Product
	}
	f, err := loaders.Do(ctx, func(ctx context.Context) (found, error) {
		var f found
		var userErr, productErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					userErr = fmt.Errorf("resolvers: panic in the users search: %v", p)
				}
			}()
			f.users, userErr = r.Clients.Accounts.SearchUsers(ctx, text, n)
		}()
		f.products, productErr = r.Clients.Products.SearchProducts(ctx, text, n)
		wg.Wait()
		if userErr != nil {
			return found{}, userErr
		}
		return f, productErr
	})
	if err != nil {
		return nil, err
	}
	out := make([]model.SearchResult, 0, min(n, len(f.users)+len(f.products)))
	for i := range f.users {
		if len(out) == n {
			return out, nil
		}
		out = append(out, &f.users[i])
	}
	for i := range f.products {
		if len(out) == n {
			break
		}
		out = append(out, &f.products[i])
	}
	return out, nil
}
