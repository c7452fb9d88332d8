package telemetry

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestNamesAreBounded(t *testing.T) {
	n := newNames(3, 4)
	tests := []struct {
		name, want string
	}{
		{"", OperationUnknown},
		{"A", "A"},
		{"B", "B"},
		{"A", "A"},
		{"other", OperationOther}, // a client cannot take the reserved values
		{"unknown", OperationOther},
		{"C", "C"},
		{"D", OperationOther}, // the set is full
		{"B", "B"},            // kept names stay
		{strings.Repeat("x", maxNameLen+1), OperationOther},
	}
	for _, tt := range tests {
		if got := n.get(tt.name).name; got != tt.want {
			t.Errorf("get(%.20q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := len(n.all()); got != 5 {
		t.Errorf("all() has %d operations, want A B C unknown other", got)
	}
}

func TestNamesConcurrent(t *testing.T) {
	n := newNames(10, 4)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.get(fmt.Sprintf("op%d", i%20))
		}()
	}
	wg.Wait()
	if got := len(n.all()); got != 12 {
		t.Fatalf("%d operations, want 10 names + unknown + other", got)
	}
}

func TestOutcomeIndex(t *testing.T) {
	for i, o := range outcomes {
		if outcomeIndex(o) != i {
			t.Errorf("outcomeIndex(%s) = %d, want %d", o, outcomeIndex(o), i)
		}
	}
	if outcomeIndex("bogus") != len(outcomes)-1 {
		t.Error("an unknown outcome must count as error")
	}
}
