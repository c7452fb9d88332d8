package engine

import (
	"context"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/internal/bufpool"
)

// The engine's seams: the parts that run beside it (batching, authorization, cost, tracing) implement
// these small interfaces, and the engine calls them once per operation, per field of the plan, or per
// (field, level) — never per object unless a rule is about the object itself.

// Batching makes the resolver calls of one level share their upstream look-ups.
type Batching interface {
	// Begin starts an operation: the returned context carries its per-operation state, run runs each
	// level's calls, and end releases the state once the operation is complete.
	Begin(ctx context.Context) (ctx2 context.Context, run LevelRunner, end func())
}

// LevelRunner runs the resolver calls of one level and returns when every call has returned.
// Implementations may run them concurrently (at most one goroutine per call).
type LevelRunner interface {
	// RunLevel runs call(ctx, i) for each i in [0, n).
	RunLevel(ctx context.Context, n int, call func(ctx context.Context, i int))
}

// Guard decides who may see which field.
type Guard interface {
	// FieldCheck returns the checks of field typ.field, nil when it has none. Called while planning.
	FieldCheck(typ, field string) *Check
}

// Check is what a field requires of the caller. Each part may be nil.
type Check struct {
	// Operation runs once per operation, before anything resolves: a non-nil error refuses the field
	// everywhere it stands (at each path, without resolving it).
	Operation func(ctx context.Context) error
	// Parent runs per parent object before the field resolves: a non-nil error refuses the field on
	// that object.
	Parent func(ctx context.Context, parent any) error
	// Result runs per object the field returned (each item of a list, at any depth of nesting, resolved
	// or read from the parent), with the name of the object's concrete type, before anything below the
	// object resolves: a non-nil error replaces the object by null with the error.
	Result func(ctx context.Context, typ string, result any) error
}

// FieldObserver sees, once the operation has resolved, how often each field of the plan resolved:
// resolved is the number of objects it was resolved on, values the number of non-null values (list
// items counted one by one) it returned. args are the field's coerced arguments.
type FieldObserver interface {
	FieldResolved(ctx context.Context, typ string, def *ast.FieldDefinition, args map[string]any, resolved, values int)
}

// Tracer makes a span per resolver call (one per (field, level), not per object).
type Tracer interface {
	// StartField starts the span of a call of the resolver of name (e.g. "User.reviews") for the
	// field at path (the response path without list indexes; the first, when one call serves the same
	// field at several places) with parents parents; end ends it with the call's error.
	StartField(ctx context.Context, name, path string, parents int) (ctx2 context.Context, end func(err error))
}

// Option configures an Engine.
type Option func(*Engine)

// WithBatching sets the batching layer; without it each level's calls run concurrently and share
// nothing.
func WithBatching(b Batching) Option { return func(e *Engine) { e.batching = b } }

// WithGuard sets the authorization checks.
func WithGuard(g Guard) Option { return func(e *Engine) { e.guard = g } }

// WithFieldObserver adds an observer of the resolved fields (cost accounting).
func WithFieldObserver(o FieldObserver) Option {
	return func(e *Engine) { e.observers = append(e.observers, o) }
}

// WithTracer sets the tracer of resolver calls; nil or absent: no field spans.
func WithTracer(t Tracer) Option { return func(e *Engine) { e.tracer = t } }

// WithPlanCacheSize sets how many plans are kept (LRU); default 1000.
func WithPlanCacheSize(n int) Option { return func(e *Engine) { e.planCacheSize = n } }

// WithBuffers takes each response's data buffer from p: whoever writes the response may hand the
// buffer (graphql.Response.Data) back to p once written, and nothing may read it afterwards. Default
// nil: each response allocates its own.
func WithBuffers(p *bufpool.Pool) Option { return func(e *Engine) { e.buffers = p } }

// concurrent is the LevelRunner without batching: one goroutine per call but the last.
type concurrent struct{}

func (concurrent) RunLevel(ctx context.Context, n int, call func(context.Context, int)) {
	if n == 0 {
		return
	}
	var wg sync.WaitGroup
	for i := range n - 1 {
		wg.Go(func() { call(ctx, i) })
	}
	call(ctx, n-1)
	wg.Wait()
}
