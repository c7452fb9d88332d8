package engine

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// run is one execution of a plan.
type run struct {
	ctx    context.Context
	e      *Engine
	p      *plan
	oc     *graphql.OperationContext
	runner LevelRunner

	objs    [][]any          // per objectPlan: the objects at its position, in response order
	results []Results        // per composite fieldPlan (by slot): its values (a group's, its first field's)
	nodes   []node           // per composite fieldPlan: its values, per object of its parent position
	denied  []error          // per fieldPlan: refused for the whole operation (Check.Operation)
	args    []map[string]any // per fieldPlan with arguments: coerced (nil: no field has any)
	argErr  []error
	// argMem and argErrMem are the memory of args and argErr, kept when a run has no arguments.
	argMem    []map[string]any
	argErrMem []error
	refused   []int                      // per fieldPlan: objects on which Check.Parent refused it
	callFn    func(context.Context, int) // r.callAt, made once

	// Reused from level to level: the groups of the level being resolved, their parents (for groups
	// of several fields or with a Parent check) and their calls' group indexes; the positions ready.
	groups    []group
	level     []group
	parentBuf []any
	groupOf   []int32
	ready     []*objectPlan

	slabs    slabs          // what objs and results are carved from (hint.go)
	calls    [][]*fieldPlan // callsByDepth's, and what it carves them from
	callSlab []*fieldPlan
	writer   writer
}

// node is a composite field's values: parent i's value starts at res.toks[starts[i]].
type node struct {
	res    *Results
	starts []int32
}

func (r *run) deniedErr(f *fieldPlan) error {
	if r.denied != nil && r.denied[f.id] != nil {
		return r.denied[f.id]
	}
	if r.argErr != nil && r.argErr[f.id] != nil {
		return r.argErr[f.id]
	}
	return nil
}

func (r *run) argsOf(f *fieldPlan) map[string]any {
	if r.args == nil {
		return nil
	}
	return r.args[f.id]
}

// execute resolves the whole operation. A mutation's root fields run one after the other, each with
// everything below it; a query's all at once.
func (r *run) execute() {
	root := r.p.root
	r.objs[root.id] = append(r.objs[root.id], r.e.bind.Root)
	if r.p.op.Operation != ast.Mutation {
		r.levels(r.expand(r.callsByDepth(), append(r.ready[:0], root)))
		return
	}
	for _, f := range root.fields {
		if f.composite() && r.deniedErr(f) == nil {
			r.levels([][]*fieldPlan{nil, {f}})
		}
	}
}

// callsByDepth returns where a query's resolver fields are collected by depth, each depth's slice
// with room for every resolver field of the plan at that depth (each resolves once per run).
func (r *run) callsByDepth() [][]*fieldPlan {
	r.calls, r.callSlab = resize(r.calls, len(r.p.depths)), resize(r.callSlab, r.p.resolvers)
	slab := r.callSlab
	for d, n := range r.p.depths {
		slab, r.calls[d] = cut(slab, n)
	}
	return r.calls
}

// levels resolves the resolver fields of calls (indexed by depth: the number of fields on their
// response path) a depth at a time, shallowest first: every resolver field at one depth, across all
// branches of the response, is resolved in one level, and what it returns adds fields at deeper depths.
func (r *run) levels(calls [][]*fieldPlan) {
	for d := 0; d < len(calls); d++ {
		if len(calls[d]) == 0 {
			continue
		}
		level := calls[d]
		calls[d] = nil
		calls = r.expand(calls, r.resolveLevel(level))
	}
}

// expand walks the positions in ready (whose objects are known) and the positions below them that
// need no I/O (fields read from their parent), and adds the resolver fields found to calls, by depth.
func (r *run) expand(calls [][]*fieldPlan, ready []*objectPlan) [][]*fieldPlan {
	for len(ready) > 0 {
		op := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		parents := r.objs[op.id]
		if len(parents) == 0 {
			continue
		}
		for _, f := range op.fields {
			if !f.composite() || r.deniedErr(f) != nil {
				continue
			}
			if f.bind.Resolve != nil {
				for len(calls) <= f.depth {
					calls = append(calls, nil)
				}
				calls[f.depth] = append(calls[f.depth], f)
				continue
			}
			res := &r.results[f.slot]
			check := r.parentCheck(f)
			for _, p := range parents {
				res.Next()
				if check != nil {
					if err := check(r.ctx, p); err != nil {
						res.Error(err)
						r.countRefused(f)
						continue
					}
				}
				f.bind.Emit(r.ctx, p, res)
			}
			r.nodes[f.id] = node{res: res, starts: res.starts}
			if c := r.p.check(f); c != nil && c.Result != nil {
				r.checkResults(f, c.Result)
			}
			ready = r.distribute(f, ready)
		}
	}
	r.ready = ready[:0]
	return calls
}

func (r *run) countRefused(f *fieldPlan) {
	if r.refused == nil {
		r.refused = make([]int, len(r.p.fields))
	}
	r.refused[f.id]++
}

// resolveLevel resolves calls, grouped so that each (type, field, arguments) is one call, and returns
// the positions whose objects became known. calls is reordered.
func (r *run) resolveLevel(calls []*fieldPlan) []*objectPlan {
	groups := r.group(calls)
	// Per field: the parents the resolver sees (Check.Parent may refuse some), in order. A group of one
	// field without a check hands the resolver its position's objects as they are.
	r.parentBuf = r.parentBuf[:0]
	for gi := range groups {
		g := &groups[gi]
		if f := g.fields[0]; len(g.fields) == 1 && r.parentCheck(f) == nil {
			g.parents = r.objs[f.parent.id]
			continue
		}
		start := len(r.parentBuf)
		for k, f := range g.fields {
			parents := r.objs[f.parent.id]
			check := r.parentCheck(f)
			if check == nil {
				r.parentBuf = append(r.parentBuf, parents...)
				continue
			}
			if g.denied == nil {
				g.denied = make([][]error, len(g.fields))
			}
			denied := make([]error, len(parents))
			for i, p := range parents {
				if denied[i] = check(r.ctx, p); denied[i] == nil {
					r.parentBuf = append(r.parentBuf, p)
				}
			}
			g.denied[k] = denied
		}
		// Capped: a later group's parents (or a regrown buffer) never reach into this one's.
		g.parents = r.parentBuf[start:len(r.parentBuf):len(r.parentBuf)]
	}
	r.level = groups
	r.runner.RunLevel(r.ctx, len(groups), r.callFn)

	ready := r.ready[:0]
	for gi := range groups {
		g := &groups[gi]
		off := int32(0)
		for k, f := range g.fields {
			parents := r.objs[f.parent.id]
			var denied []error
			if g.denied != nil {
				denied = g.denied[k]
			}
			var starts []int32
			if denied == nil {
				starts = g.res.starts[off : int(off)+len(parents)]
				off += int32(len(parents))
			} else {
				starts = make([]int32, len(parents))
				for i := range parents {
					if denied[i] != nil {
						starts[i] = int32(len(g.res.toks))
						g.res.Error(denied[i])
						r.countRefused(f)
						continue
					}
					starts[i] = g.res.starts[off]
					off++
				}
			}
			r.nodes[f.id] = node{res: g.res, starts: starts}
			if c := r.p.check(f); c != nil && c.Result != nil {
				r.checkResults(f, c.Result)
			}
			ready = r.distribute(f, ready)
		}
	}
	return ready
}

// parentCheck returns f's Check.Parent, nil when it has none.
func (r *run) parentCheck(f *fieldPlan) func(context.Context, any) error {
	if c := r.p.check(f); c != nil {
		return c.Parent
	}
	return nil
}

// callAt runs the resolver of group i of the level being resolved.
func (r *run) callAt(ctx context.Context, i int) { r.call(ctx, &r.level[i]) }

// call runs one group's resolver over all its parents. Whatever happens (an error for the whole
// batch, a panic), every parent ends with a value.
func (r *run) call(ctx context.Context, g *group) {
	f := g.fields[0]
	var end func(error)
	if r.e.tracer != nil {
		ctx, end = r.e.tracer.StartField(ctx, f.qualified, f.path, len(g.parents))
	}
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = graphql.Recover(ctx, p)
			}
		}()
		err = f.bind.Resolve(ctx, r.argsOf(f), g.parents, g.res)
	}()
	if err != nil {
		// The resolver failed as a whole: parents it gave no value get the error.
		for g.res.Len() < len(g.parents) {
			g.res.Next()
			g.res.Error(err)
		}
	}
	if g.res.Len() != len(g.parents) {
		bad := fmt.Errorf("engine: %s.%s gave %d values for %d parents", f.parent.def.Name, f.name, g.res.Len(), len(g.parents))
		g.res.starts = g.res.starts[:0]
		for range g.parents {
			g.res.Next()
			g.res.Error(bad)
		}
	}
	if end != nil {
		end(err)
	}
}

// checkResults replaces each object f returned (list items included) that check refuses by the error.
func (r *run) checkResults(f *fieldPlan, check func(context.Context, string, any) error) {
	n := r.nodes[f.id]
	for _, s := range n.starts {
		r.checkValue(n.res, s, check)
	}
}

// checkValue checks the objects of the value at token i of res.
func (r *run) checkValue(res *Results, i int32, check func(context.Context, string, any) error) {
	t := res.toks[i]
	switch t.kind {
	case tokObj:
		c := res.children[t.a]
		if err := check(r.ctx, r.e.bind.Types[c.typ].Name, c.obj); err != nil {
			res.toks[i] = tok{kind: tokErr, a: int32(len(res.errs))}
			res.errs = append(res.errs, err)
		}
	case tokList:
		j := i + 1
		for range t.a {
			r.checkValue(res, j, check)
			j = res.skip(j)
		}
	}
}

// distribute hands the objects f returned to the positions below f (each object to the position of
// its concrete type) and adds the positions that received objects to ready.
func (r *run) distribute(f *fieldPlan, ready []*objectPlan) []*objectPlan {
	n := r.nodes[f.id]
	for _, s := range n.starts {
		ready = r.distributeValue(f, n.res, s, ready)
	}
	return ready
}

func (r *run) distributeValue(f *fieldPlan, res *Results, i int32, ready []*objectPlan) []*objectPlan {
	t := res.toks[i]
	switch t.kind {
	case tokObj:
		c := &res.children[t.a]
		op := f.sub.forType(c.typ)
		if op == nil {
			return ready
		}
		c.idx = int32(len(r.objs[op.id]))
		if c.idx == 0 {
			ready = append(ready, op)
		}
		r.objs[op.id] = append(r.objs[op.id], c.obj)
	case tokList:
		j := i + 1
		for range t.a {
			ready = r.distributeValue(f, res, j, ready)
			j = res.skip(j)
		}
	}
	return ready
}

// observe tells the observers how often each field resolved.
func (r *run) observe() {
	if len(r.e.observers) == 0 {
		return
	}
	for _, f := range r.p.fields {
		if f.def == nil || r.deniedErr(f) != nil {
			continue
		}
		resolved := len(r.objs[f.parent.id])
		if r.refused != nil {
			resolved -= r.refused[f.id]
		}
		if resolved <= 0 {
			continue
		}
		values := resolved
		if f.composite() {
			n := r.nodes[f.id]
			values = 0
			for _, s := range n.starts {
				values += countValues(n.res, s)
			}
		}
		for _, o := range r.e.observers {
			o.FieldResolved(r.ctx, f.parent.def.Name, f.def, r.argsOf(f), resolved, values)
		}
	}
}

// countValues counts the non-null values (objects and leaves, list items one by one) of the value at i.
func countValues(res *Results, i int32) int {
	t := res.toks[i]
	switch t.kind {
	case tokObj, tokLeaf:
		return 1
	case tokList:
		n, j := 0, i+1
		for range t.a {
			n += countValues(res, j)
			j = res.skip(j)
		}
		return n
	}
	return 0
}
