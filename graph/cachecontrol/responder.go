package cachecontrol

import (
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/internal/opmemo"
)

// Responder computes the policy of each operation once per cached document (internal/opmemo: kept
// with the operation the document cache shares, dropped with the document), read without a lock or
// a key to build. Safe for concurrent use.
type Responder struct {
	hints         *Hints
	defaultMaxAge time.Duration
	policies      opmemo.Memo[Policy]
}

// maxKeptQuery is the longest query whose policy is kept: the document cache's bound, beyond which
// every request parses its own document (and would make an entry only to drop it).
const maxKeptQuery = 8 << 10

// NewResponder returns a Responder over hints; fields without a maxAge get defaultMaxAge (0: they make
// a response uncacheable).
func NewResponder(hints *Hints, defaultMaxAge time.Duration) *Responder {
	return &Responder{hints: hints, defaultMaxAge: defaultMaxAge}
}

// Policy returns the policy of op, the operation of query that runs.
func (r *Responder) Policy(query string, op *ast.OperationDefinition) Policy {
	if op == nil {
		return Policy{}
	}
	if len(query) > maxKeptQuery {
		return r.hints.Operation(op, r.defaultMaxAge)
	}
	return r.policies.Get(op, func() Policy { return r.hints.Operation(op, r.defaultMaxAge) })
}
