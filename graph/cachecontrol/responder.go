package cachecontrol

import (
	"context"
	"fmt"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/cache"
)

// Responder computes the policies of operations once per document: keyed by operation name and query
// text, in a bounded LRU. Safe for concurrent use.
type Responder struct {
	hints         *Hints
	defaultMaxAge time.Duration
	policies      *cache.Memory[Policy]
}

// maxKeptQuery is the longest query whose policy is kept (the document cache's bound too).
const maxKeptQuery = 8 << 10

// NewResponder returns a Responder over hints; fields without a maxAge get defaultMaxAge (0: they make
// a response uncacheable). Policies of up to size documents are kept. Close it when done.
func NewResponder(hints *Hints, defaultMaxAge time.Duration, size int) (*Responder, error) {
	m, err := cache.NewMemory[Policy]("cache_control", cache.Config{Size: size})
	if err != nil {
		return nil, fmt.Errorf("cache control: %w", err)
	}
	return &Responder{hints: hints, defaultMaxAge: defaultMaxAge, policies: m}, nil
}

// Policy returns the policy of op, the operation of query that runs.
func (r *Responder) Policy(ctx context.Context, query string, op *ast.OperationDefinition) Policy {
	if op == nil {
		return Policy{}
	}
	if len(query) > maxKeptQuery {
		return r.hints.Operation(op, r.defaultMaxAge)
	}
	key := op.Name + "\x00" + query
	if p, ok := r.policies.Get(ctx, key); ok {
		return p
	}
	p := r.hints.Operation(op, r.defaultMaxAge)
	r.policies.Add(ctx, key, p)
	return p
}

// Close releases the kept policies.
func (r *Responder) Close() error { return r.policies.Close() }
