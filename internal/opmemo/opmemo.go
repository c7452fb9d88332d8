// Package opmemo keeps values computed once per operation of a parsed document: an operation's
// coordinates (schema usage), its price when it does not depend on variables (cost), whether it
// selects introspection fields. The document cache shares one *ast.OperationDefinition between every
// request with the same query text, so a value keyed by it is computed once per cached document and
// read lock-free afterwards.
//
// Entries are keyed by a weak pointer to the operation and dropped once the operation is collected
// (its document evicted from the cache): a memo never keeps a document alive, and holds no more
// entries than there are live documents. A document that is not cached (too long to keep) is parsed
// per request, and its entries are made and dropped with it.
package opmemo

import (
	"runtime"
	"sync"
	"weak"

	"github.com/vektah/gqlparser/v2/ast"
)

// Memo maps live operations to one value of type V each. The zero Memo is empty and ready to use; it
// is safe for concurrent use and must not be copied after first use.
type Memo[V any] struct {
	m sync.Map // weak.Pointer[ast.OperationDefinition] -> V
}

// Load returns op's value and whether one was stored.
func (m *Memo[V]) Load(op *ast.OperationDefinition) (V, bool) {
	v, ok := m.m.Load(weak.Make(op))
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

// Store keeps v for op unless a value is already kept, and returns the value kept: of two concurrent
// Stores for one operation the first wins, and both callers get its value.
func (m *Memo[V]) Store(op *ast.OperationDefinition, v V) V {
	key := weak.Make(op)
	if old, loaded := m.m.LoadOrStore(key, v); loaded {
		return old.(V)
	}
	runtime.AddCleanup(op, func(k weak.Pointer[ast.OperationDefinition]) { m.m.Delete(k) }, key)
	return v
}

// Get returns op's value, computing it with compute and storing it on the first call for op.
// compute may run more than once when calls for a new operation race; one result is kept.
func (m *Memo[V]) Get(op *ast.OperationDefinition, compute func() V) V {
	if v, ok := m.Load(op); ok {
		return v
	}
	return m.Store(op, compute())
}

// Len is the number of operations with a value. It walks the memo: for tests, not for hot paths.
func (m *Memo[V]) Len() int {
	n := 0
	m.m.Range(func(any, any) bool { n++; return true })
	return n
}
