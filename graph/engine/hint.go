package engine

import "sync/atomic"

// hints are the sizes the previous execution of a plan needed: the next execution carves its
// slices from a few slabs sized from them, instead of growing each by appending (the reference query
// grew about 550 slices per request). They are hints, not limits: a slice that needs more than its
// share grows past it on its own (its share is capped, so it never writes into a neighbour's), and
// every execution records what it needed for the next. Concurrent executions of one plan read and
// write them without locking: each value is an atomic, and a torn set of hints is still a hint.
type hints struct {
	data    atomic.Int64   // the response's data, in bytes
	objs    []atomic.Int32 // per objectPlan: the objects at its position
	results []resultsHint  // per composite fieldPlan (indexed by fieldPlan.slot): its Results
}

// resultsHint is the lengths of one Results' slices.
type resultsHint struct {
	starts, toks, children, leaf atomic.Int32
}

func newHints(p *plan) hints {
	return hints{objs: make([]atomic.Int32, len(p.objects)), results: make([]resultsHint, p.slots)}
}

// carve gives each position and each composite field of r its share of one slab per element type,
// as p's hints say. The slabs are r's own when they are large enough (runmem.go): the shares need no
// zeroing, as nothing reads past what a run appended.
func (r *run) carve() {
	h := &r.p.hints
	var objs, starts, toks, children, leaf int
	for i := range h.objs {
		objs += int(h.objs[i].Load())
	}
	for i := range h.results {
		rh := &h.results[i]
		starts += int(rh.starts.Load())
		toks += int(rh.toks.Load())
		children += int(rh.children.Load())
		leaf += int(rh.leaf.Load())
	}
	sl := &r.slabs
	sl.objs, sl.starts, sl.toks = resize(sl.objs, objs), resize(sl.starts, starts), resize(sl.toks, toks)
	sl.children, sl.leaf = resize(sl.children, children), resize(sl.leaf, leaf)
	objSlab := sl.objs
	for i := range h.objs {
		objSlab, r.objs[i] = cut(objSlab, int(h.objs[i].Load()))
	}
	startSlab, tokSlab, childSlab, leafSlab := sl.starts, sl.toks, sl.children, sl.leaf
	for i := range h.results {
		rh, res := &h.results[i], &r.results[i]
		startSlab, res.starts = cut(startSlab, int(rh.starts.Load()))
		tokSlab, res.toks = cut(tokSlab, int(rh.toks.Load()))
		childSlab, res.children = cut(childSlab, int(rh.children.Load()))
		leafSlab, res.leaf.buf = cut(leafSlab, int(rh.leaf.Load()))
	}
}

// cut returns slab without its first n elements, and those n as an empty slice of capacity n (nil
// for none): appending past n reallocates rather than overwrite the rest of the slab.
func cut[T any](slab []T, n int) (rest, share []T) {
	if n == 0 || n > len(slab) {
		return slab, nil
	}
	return slab[n:], slab[:0:n]
}

// record stores what r needed as p's hints for the next execution.
func (r *run) record(dataLen int) {
	h := &r.p.hints
	h.data.Store(int64(dataLen))
	for i := range h.objs {
		h.objs[i].Store(int32(len(r.objs[i])))
	}
	for i := range h.results {
		rh, res := &h.results[i], &r.results[i]
		rh.starts.Store(int32(len(res.starts)))
		rh.toks.Store(int32(len(res.toks)))
		rh.children.Store(int32(len(res.children)))
		rh.leaf.Store(int32(len(res.leaf.buf)))
	}
}
