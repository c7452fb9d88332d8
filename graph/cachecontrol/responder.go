package cachecontrol

import (
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/internal/opmemo"
)

// Responder computes the Cache-Control of each operation once per cached document (internal/opmemo:
// kept with the operation the document cache shares, dropped with the document), read without a lock
// or a key to build. Safe for concurrent use.
type Responder struct {
	hints         *Hints
	defaultMaxAge time.Duration
	headers       opmemo.Memo[headers]
}

// headers are an operation's Cache-Control values: for anonymous and for signed-in callers.
type headers struct{ anonymous, signedIn string }

// NewResponder returns a Responder over hints; fields without a maxAge get defaultMaxAge (0: they make
// a response uncacheable).
func NewResponder(hints *Hints, defaultMaxAge time.Duration) *Responder {
	return &Responder{hints: hints, defaultMaxAge: defaultMaxAge}
}

// Header returns the Cache-Control of a successful response to op, the operation that runs
// (Policy.Header of its policy), for a signed-in caller or not.
func (r *Responder) Header(op *ast.OperationDefinition, signedIn bool) string {
	if op == nil {
		return Policy{}.Header(signedIn)
	}
	compute := func() headers {
		p := r.hints.Operation(op, r.defaultMaxAge)
		return headers{anonymous: p.Header(false), signedIn: p.Header(true)}
	}
	h := r.headers.Get(op, compute)
	if signedIn {
		return h.signedIn
	}
	return h.anonymous
}
