// Package resolvers maps the schema's fields onto the batched look-ups (resolvers/loaders) and the typed
// upstream clients (upstreams). Fields below the root are batch resolvers: each gets every parent of
// its level at once and makes one look-up for all of them. Each resolver is that call plus argument
// checks: no HTTP, no caching, no retries here. The *.resolvers.go files are laid out by gqlgen, one
// per schema file; their bodies are hand-written and kept across `make generate`.
package resolvers

import (
	"context"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/generated"
	"github.com/trellisgw/trellis/resolvers/loaders"
	"github.com/trellisgw/trellis/upstreams"
)

// Resolver is the root of the resolvers and the one place their dependencies are injected.
type Resolver struct {
	// Clients are the typed upstream clients, for calls that are not batched (pages, writes).
	Clients *upstreams.Clients
	// Loaders are the batched look-ups over Clients.
	Loaders *loaders.Set
}

// New returns the resolver root over clients and their batched look-ups l.
func New(clients *upstreams.Clients, l *loaders.Set) *Resolver {
	return &Resolver{Clients: clients, Loaders: l}
}

// Config returns the gqlgen executable schema configuration rooted at r (through root, which makes
// each type's resolver once).
func (r *Resolver) Config() generated.Config { return generated.Config{Resolvers: newRoot(r)} }

// one looks up a single key, the value of the argument arg, with a batched look-up. An empty key is
// refused here, as the services refuse it: sent, it would fail the whole batch it joined, and with it
// every other field of the level that waits on that batch.
func one[T any](ctx context.Context, arg, key string, load func(context.Context, []string) ([]*T, error)) (*T, error) {
	if key == "" {
		return nil, errcode.BadInput(arg, arg+" must not be empty")
	}
	vals, err := load(ctx, []string{key})
	if err != nil {
		return nil, err
	}
	return vals[0], nil
}

func userIDs(objs []*upstreams.User) []string {
	ids := make([]string, len(objs))
	for i, u := range objs {
		ids[i] = u.ID
	}
	return ids
}

func upcs(objs []*upstreams.Product) []string {
	ids := make([]string, len(objs))
	for i, p := range objs {
		ids[i] = p.UPC
	}
	return ids
}
