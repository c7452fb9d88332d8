package engine

import (
	"context"
)

// Schema is what the generated bindings (graph/generated/engine.generated.go, written by the
// enginegen gqlgen plugin) tell the engine about the schema's Go side: for each object type, how each
// field is read or resolved. The engine knows nothing else of the Go models.
type Schema struct {
	// Types are the object types, indexed by TypeID.
	Types []*Type
	// Root returns the root objects the root types' fields run on (the same value for every operation
	// is fine: root resolvers ignore it).
	Root any
}

// TypeID identifies an object type of the schema: an index of Schema.Types.
type TypeID int32

// Type binds one GraphQL object type.
type Type struct {
	ID     TypeID
	Name   string
	Fields map[string]*Field
}

// Field binds one field of an object type. Exactly one of Write, Emit and Resolve is set.
type Field struct {
	// Write writes a leaf field's value (a scalar, an enum, or lists of them), read from the parent
	// object obj without I/O, and reports whether it was null (then it wrote null).
	Write func(w *Writer, obj any) (null bool)
	// Emit gives a composite field's value read from the parent obj without I/O (a connection's
	// nodes, an edge's node, an order's items): one value into r.
	Emit func(ctx context.Context, obj any, r *Results)
	// Resolve resolves the field for every parent at once (a batch resolver; root fields get one
	// parent): one value per parent into r, in order (r.Next before each). A returned error fails every
	// parent whose value was not given; per-parent errors go into r.Error.
	Resolve func(ctx context.Context, args map[string]any, parents []any, r *Results) error
	// Args coerces the field's raw argument values (from the document and the variables) into the Go
	// values the resolver takes, defaults applied (gqlgen's generated argument functions).
	Args func(ctx context.Context, raw map[string]any) (map[string]any, error)
}

// tokKind is the kind of one token of a resolved value.
type tokKind uint8

const (
	tokNull tokKind = iota
	tokErr          // a: index in Results.errs
	tokLeaf         // a, b: JSON bytes Results.leaf[a:b]
	tokObj          // a: index in Results.children
	tokList         // a: number of items; the items' tokens follow
)

type tok struct {
	kind tokKind
	a, b int32
}

// child is an object a field returned: its concrete type, the Go value, and (once distributed to the
// next level) its index among the objects of that type at its position.
type child struct {
	typ TypeID
	obj any
	idx int32
}

// Results collects the values of one field for a list of parents, as a token stream: per parent, one
// value (null, an error, a JSON leaf, an object, or a list of values). Generated code fills it; the
// engine reads it to find the next level's objects and to write the response.
type Results struct {
	starts   []int32 // per parent, its first token
	toks     []tok
	children []child
	errs     []error
	leaf     Writer
}

// Next starts the value of the next parent.
func (r *Results) Next() { r.starts = append(r.starts, int32(len(r.toks))) }

// Null gives null.
func (r *Results) Null() { r.toks = append(r.toks, tok{kind: tokNull}) }

// Error gives an error (the value is null, and the error is reported at its path).
func (r *Results) Error(err error) {
	r.toks = append(r.toks, tok{kind: tokErr, a: int32(len(r.errs))})
	r.errs = append(r.errs, err)
}

// Object gives an object of the concrete type t.
func (r *Results) Object(t TypeID, obj any) {
	r.toks = append(r.toks, tok{kind: tokObj, a: int32(len(r.children))})
	r.children = append(r.children, child{typ: t, obj: obj, idx: -1})
}

// List gives a list of n values; the n values follow.
func (r *Results) List(n int) { r.toks = append(r.toks, tok{kind: tokList, a: int32(n)}) }

// Leaf returns the writer for a leaf value; EndLeaf closes it.
func (r *Results) Leaf() *Writer { return &r.leaf }

// EndLeaf gives the leaf value written since the matching Leaf, which started at start
// (LeafStart's answer).
func (r *Results) EndLeaf(start int) {
	r.toks = append(r.toks, tok{kind: tokLeaf, a: int32(start), b: int32(len(r.leaf.buf))})
}

// LeafStart returns where the next leaf value starts, for EndLeaf.
func (r *Results) LeafStart() int { return len(r.leaf.buf) }

// Len returns the number of parents given so far.
func (r *Results) Len() int { return len(r.starts) }

// skip returns the index of the token after the value starting at i.
func (r *Results) skip(i int32) int32 {
	t := r.toks[i]
	i++
	if t.kind == tokList {
		for range t.a {
			i = r.skip(i)
		}
	}
	return i
}
