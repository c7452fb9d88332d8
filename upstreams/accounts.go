package upstreams

import (
	"context"
	"net/url"
	"strconv"

	"github.com/trellisgw/trellis/upstreams/calltrace"
	"github.com/trellisgw/trellis/upstreams/entitycache"
	"github.com/trellisgw/trellis/upstreams/rest"
)

// MaxBatch is the most keys one batch call sends; longer key lists are split into several calls.
// The sample services accept at most 500.
const MaxBatch = 500

// Accounts is the typed client of the accounts REST service.
type Accounts struct {
	c     *rest.Client
	users *entitycache.Kind[User]       // nil: not cached
	page  *entitycache.Kind[Page[User]] // nil: not cached
}

// NewAccounts wraps a REST client of the accounts service.
func NewAccounts(c *rest.Client) *Accounts { return &Accounts{c: c} }

// UsersByID returns the users with the given ids, in the service's order; unknown ids are absent.
// With the entity cache, only the ids it misses are sent, and the users come in the order of ids.
func (a *Accounts) UsersByID(ctx context.Context, ids []string) ([]User, error) {
	return cachedByKey(ctx, a.users, ids, func(u User) string { return u.ID }, func(ctx context.Context, ids []string) ([]User, error) {
		return batched(ctx, ids, func(ctx context.Context, chunk []string) ([]User, error) {
			out := struct {
				Users []User `json:"users"`
			}{Users: make([]User, 0, len(chunk))} // at most one per id: decoded without growing
			err := a.c.Get(ctx, "GET /users", "/users", url.Values{"id": chunk}, &out)
			return out.Users, err
		})
	})
}

// ListUsers returns the page of users starting at offset, at most limit long (cached by offset and
// limit with the entity cache).
func (a *Accounts) ListUsers(ctx context.Context, offset, limit int) (Page[User], error) {
	return cachedOne(ctx, a.page, pageKey(offset, limit), func(ctx context.Context) (Page[User], error) {
		var out struct {
			Users []User `json:"users"`
			Total int    `json:"total"`
		}
		err := a.c.Get(ctx, "GET /users", "/users", pageQuery(offset, limit), &out)
		return Page[User]{Items: out.Users, Total: out.Total}, err
	})
}

// pageKey is a page's key in the entity cache.
func pageKey(offset, limit int) string { return strconv.Itoa(offset) + ":" + strconv.Itoa(limit) }

// SearchUsers returns the users whose username or name contains text (any case), in id order, at most
// limit of them (1..100).
func (a *Accounts) SearchUsers(ctx context.Context, text string, limit int) ([]User, error) {
	var out struct {
		Users []User `json:"users"`
	}
	err := a.c.Get(ctx, "GET /users", "/users", searchQuery(text, limit), &out)
	return out.Users, err
}

// searchQuery builds the q/limit query the sample services search by.
func searchQuery(text string, limit int) url.Values {
	return url.Values{"q": {text}, "limit": {strconv.Itoa(limit)}}
}

// pageQuery builds the limit/offset query the sample services page by.
func pageQuery(offset, limit int) url.Values {
	return url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
}

// batched calls fetch once per MaxBatch keys and concatenates the results. No keys means no call and
// no results: the services read a key-less batch call as a page listing or refuse it. Each call's
// context carries its batch size for call traces.
func batched[T any](ctx context.Context, keys []string, fetch func(context.Context, []string) ([]T, error)) ([]T, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if len(keys) <= MaxBatch {
		return fetch(calltrace.WithBatchSize(ctx, len(keys)), keys)
	}
	var all []T
	for start := 0; start < len(keys); start += MaxBatch {
		chunk := keys[start:min(start+MaxBatch, len(keys))]
		part, err := fetch(calltrace.WithBatchSize(ctx, len(chunk)), chunk)
		if err != nil {
			return nil, err
		}
		all = append(all, part...)
	}
	return all, nil
}
