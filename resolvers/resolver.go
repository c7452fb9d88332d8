// Package resolvers maps the schema's fields onto per-request loaders (resolvers/loaders) and the typed
// upstream clients (upstreams). Each resolver is one call plus argument checks: no HTTP, no caching, no
// retries here. The *.resolvers.go files are laid out by gqlgen, one per schema file; their bodies are
// hand-written and kept across `make generate`.
package resolvers

import (
	"github.com/trellisgw/trellis/graph/generated"
	"github.com/trellisgw/trellis/upstreams"
)

// Resolver is the root of the resolvers and the one place their dependencies are injected.
type Resolver struct {
	// Clients are the typed upstream clients, for calls that are not batched (pages, writes).
	Clients *upstreams.Clients
}

// New returns the resolver root over clients.
func New(clients *upstreams.Clients) *Resolver { return &Resolver{Clients: clients} }

// Config returns the gqlgen executable schema configuration rooted at r (through root, which makes
// each type's resolver once).
func (r *Resolver) Config() generated.Config { return generated.Config{Resolvers: newRoot(r)} }
