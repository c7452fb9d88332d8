package engine

import (
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// pathElem is one step of the response path while writing: a key, or an index (key == "").
type pathElem struct {
	key string
	idx int
}

// writer writes a run's response once, in document order. A null where the schema forbids it nulls
// the nearest nullable ancestor: the writer truncates its buffer back to that ancestor's start.
type writer struct {
	r    *run
	w    Writer
	path []pathElem
}

// write returns the response's data, in a buffer of the engine's pool (WithBuffers).
func (r *run) write() []byte {
	wr := &r.writer // the run's (runmem.go): its path's memory reused
	wr.r, wr.w = r, Writer{ctx: r.ctx, buf: r.e.buffers.Get(int(max(r.p.hints.data.Load()+64, 256)))}
	wr.path = wr.path[:0]
	if !wr.object(r.p.root, 0) {
		r.e.buffers.Put(wr.w.buf)
		return []byte("null")
	}
	return wr.w.buf
}

// object writes the object at index idx of position op; false when a non-null field of it is null
// (the caller nulls it).
func (wr *writer) object(op *objectPlan, idx int) bool {
	obj := wr.r.objs[op.id][idx]
	wr.w.buf = append(wr.w.buf, '{')
	ok := true
	for i, f := range op.fields {
		if i > 0 {
			wr.w.buf = append(wr.w.buf, ',')
		}
		wr.w.buf = append(wr.w.buf, f.keyJSON...)
		if f.typename {
			wr.w.String(op.def.Name)
			continue
		}
		if f.def == nil { // __schema/__type: never planned on the engine
			wr.w.Null()
			continue
		}
		wr.path = append(wr.path, pathElem{key: f.key})
		// After a failed non-null field the object is null, but its other fields are still written (and
		// thrown away by the caller) so that their errors are reported too, as gqlgen and graphql-js do.
		ok = wr.field(f, obj, idx) && ok
		wr.path = wr.path[:len(wr.path)-1]
	}
	wr.w.buf = append(wr.w.buf, '}')
	return ok
}

// field writes f's value on obj (at index idx of its position); false when it is null and must not be.
func (wr *writer) field(f *fieldPlan, obj any, idx int) bool {
	if err := wr.r.deniedErr(f); err != nil {
		wr.fail(f, err)
		return wr.null(f.typ)
	}
	if !f.composite() {
		if c := wr.r.p.check(f); c != nil && c.Parent != nil {
			if err := c.Parent(wr.r.ctx, obj); err != nil {
				wr.fail(f, err)
				return wr.null(f.typ)
			}
		}
		start := len(wr.w.buf)
		if null := f.bind.Write(&wr.w, obj); null && f.typ.NonNull {
			wr.w.buf = wr.w.buf[:start]
			wr.invalidNull(f, f.typ, false)
			return false
		}
		return true
	}
	n := wr.r.nodes[f.id]
	return wr.value(f, f.typ, n.res, n.starts[idx], false)
}

// null writes null for a value of type t; false when t is non-null (the caller's object is nulled).
func (wr *writer) null(t *ast.Type) bool {
	if t.NonNull {
		return false
	}
	wr.w.Null()
	return true
}

// value writes the value at token i of res, of type t.
func (wr *writer) value(f *fieldPlan, t *ast.Type, res *Results, i int32, elem bool) bool {
	tk := res.toks[i]
	switch tk.kind {
	case tokNull:
		if t.NonNull {
			wr.invalidNull(f, t, elem)
			return false
		}
		wr.w.Null()
	case tokErr:
		wr.fail(f, res.errs[tk.a])
		return wr.null(t)
	case tokLeaf:
		wr.w.buf = append(wr.w.buf, res.leaf.buf[tk.a:tk.b]...)
	case tokObj:
		c := res.children[tk.a]
		op := f.sub.forType(c.typ)
		start := len(wr.w.buf)
		if op == nil || c.idx < 0 || !wr.object(op, int(c.idx)) {
			wr.w.buf = wr.w.buf[:start]
			return wr.null(t)
		}
	case tokList:
		listStart := len(wr.w.buf)
		wr.w.buf = append(wr.w.buf, '[')
		j := i + 1
		ok := true
		for k := range int(tk.a) {
			if k > 0 {
				wr.w.buf = append(wr.w.buf, ',')
			}
			wr.path = append(wr.path, pathElem{idx: k})
			// The remaining items are still written after a failed one, for their errors.
			ok = wr.value(f, t.Elem, res, j, true) && ok
			wr.path = wr.path[:len(wr.path)-1]
			j = res.skip(j)
		}
		if !ok {
			// A non-null item is null: the list is null (or, if it must not be, its parent).
			wr.w.buf = wr.w.buf[:listStart]
			return wr.null(t)
		}
		wr.w.buf = append(wr.w.buf, ']')
	}
	return true
}

// fail reports err at the current path.
func (wr *writer) fail(f *fieldPlan, err error) {
	wr.report(f, err)
}

// invalidNull reports a null where type t forbids it.
func (wr *writer) invalidNull(f *fieldPlan, t *ast.Type, elem bool) {
	wr.report(f, &graphql.InvalidNullError{Object: f.parent.def.Name, Field: f.name, DeclaredType: t.String(), ListElement: elem})
}

func (wr *writer) report(f *fieldPlan, err error) {
	path := make(ast.Path, len(wr.path))
	for i, p := range wr.path {
		if p.key != "" {
			path[i] = ast.PathName(p.key)
		} else {
			path[i] = ast.PathIndex(p.idx)
		}
	}
	graphql.AddError(wr.r.ctx, errorAt(err, path, gqlerror.Location{Line: f.loc.Line, Column: f.loc.Column}))
}

// errorAt is err reported at path, located at loc unless it says where it is: a *gqlerror.Error keeps
// its message and extensions (copied: the same error value may stand at many paths), anything else
// is wrapped. The engine's writer and ElementErrors (gqlgen's executor) report field errors with it.
func errorAt(err error, path ast.Path, loc gqlerror.Location) *gqlerror.Error {
	var e *gqlerror.Error
	if errors.As(err, &e) {
		cp := *e
		e = &cp
		e.Path = path
	} else {
		e = gqlerror.WrapPath(path, err)
	}
	if len(e.Locations) == 0 && loc.Line > 0 {
		e.Locations = []gqlerror.Location{loc}
	}
	return e
}
