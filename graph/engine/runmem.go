package engine

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// A run's memory goes to the engine's next run (of any plan) once the run has written its response:
// its tables per position and per field, the level's groups, the slabs its objects and Results are
// carved from (hint.go). A reference request carved about 120 KB from new slabs each time; reused,
// the memory costs one clear of the slabs that hold pointers. Nothing of a run is reachable once
// Execute returns (the response's data is a buffer of its own), and release clears every reference a
// run held, so that a pooled run keeps no upstream object alive.

// slabs are the backing arrays a run carves its objects and Results from.
type slabs struct {
	objs     []any
	starts   []int32
	toks     []tok
	children []child
	leaf     []byte
}

// newRun returns a run of p, in the memory of a released run when there is one.
func (e *Engine) newRun(ctx context.Context, p *plan, oc *graphql.OperationContext, runner LevelRunner) *run {
	r, _ := e.runs.Get().(*run)
	if r == nil {
		r = &run{}
		r.callFn = r.callAt // bound to r for good: made once per pooled run
	}
	r.ctx, r.e, r.p, r.oc, r.runner = ctx, e, p, oc, runner
	r.objs = resize(r.objs, len(p.objects))
	r.results = resize(r.results, p.slots)
	r.nodes = resize(r.nodes, len(p.fields))
	r.ready = resize(r.ready, len(p.objects))[:0] // a position is ready once per run
	r.groups = resize(r.groups, p.width)[:0]      // a level's calls at most
	r.groupOf = resize(r.groupOf, p.width)[:0]
	r.carve()
	for i := range r.results {
		r.results[i].leaf.ctx = ctx
	}
	for _, f := range p.fields {
		if c := p.check(f); c != nil && c.Operation != nil {
			if err := c.Operation(ctx); err != nil {
				if r.denied == nil {
					r.denied = make([]error, len(p.fields))
				}
				r.denied[f.id] = err
			}
		}
		if f.bind != nil && f.bind.Args != nil && len(f.def.Arguments) > 0 {
			if r.args == nil {
				r.args, r.argErr = resize(r.argMem, len(p.fields)), resize(r.argErrMem, len(p.fields))
				r.argMem, r.argErrMem = r.args, r.argErr
			}
			r.args[f.id], r.argErr[f.id] = r.coerce(f)
		}
	}
	return r
}

// release clears r and keeps its memory for the next run. Nothing may use r afterwards.
func (e *Engine) release(r *run) {
	clearAll(r.objs)
	clearAll(r.results)
	clearAll(r.nodes)
	clearAll(r.ready)
	clearAll(r.groups)
	clearAll(r.parentBuf)
	clearAll(r.slabs.objs)
	clearAll(r.slabs.children)
	clearAll(r.calls)
	clearAll(r.callSlab)
	clearAll(r.argMem)
	clearAll(r.argErrMem)
	clearAll(r.writer.path)
	r.writer.r, r.writer.w = nil, Writer{}
	r.ctx, r.e, r.p, r.oc, r.runner = nil, nil, nil, nil, nil
	r.denied, r.args, r.argErr, r.refused, r.level = nil, nil, nil, nil, nil
	e.runs.Put(r)
}

// resize returns s with length n, its elements zero (release cleared them), reallocated if too short.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// clearAll zeroes s up to its capacity.
func clearAll[T any](s []T) { clear(s[:cap(s)]) }
