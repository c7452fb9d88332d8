package opmemo_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/internal/opmemo"
)

func TestGetComputesOncePerOperation(t *testing.T) {
	var m opmemo.Memo[int]
	a, b := &ast.OperationDefinition{Name: "A"}, &ast.OperationDefinition{Name: "A"}
	calls := 0
	compute := func() int { calls++; return calls }
	if got := m.Get(a, compute); got != 1 {
		t.Fatalf("first Get = %d, want 1", got)
	}
	if got := m.Get(a, compute); got != 1 || calls != 1 {
		t.Errorf("second Get = %d after %d computations, want 1 after 1", got, calls)
	}
	if got := m.Get(b, compute); got != 2 {
		t.Errorf("Get of another operation (same text) = %d, want its own value 2", got)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

func TestStoreFirstWins(t *testing.T) {
	var m opmemo.Memo[string]
	op := &ast.OperationDefinition{}
	if _, ok := m.Load(op); ok {
		t.Fatal("Load found a value never stored")
	}
	if got := m.Store(op, "first"); got != "first" {
		t.Errorf("Store = %q, want first", got)
	}
	if got := m.Store(op, "second"); got != "first" {
		t.Errorf("second Store = %q, want the value kept, first", got)
	}
	if got, ok := m.Load(op); !ok || got != "first" {
		t.Errorf("Load = %q, %v; want first, true", got, ok)
	}
	runtime.KeepAlive(op)
}

// An entry lives as long as its operation: once the operation is collected, the entry goes.
func TestEntryDropsWithTheOperation(t *testing.T) {
	var m opmemo.Memo[int]
	func() {
		m.Store(&ast.OperationDefinition{Name: "gone"}, 1)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for m.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the entry outlived its operation")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConcurrentGet is a -race smoke test: every caller gets the one value kept.
func TestConcurrentGet(t *testing.T) {
	var m opmemo.Memo[*int]
	op := &ast.OperationDefinition{}
	var wg sync.WaitGroup
	got := make([]*int, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = m.Get(op, func() *int { v := i; return &v })
		}()
	}
	wg.Wait()
	kept, _ := m.Load(op)
	for i, p := range got {
		if p != kept {
			t.Errorf("caller %d got %p, want the value kept %p", i, p, kept)
		}
	}
	runtime.KeepAlive(op)
}
