package engine

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunMemoryReusedAcrossPlans: runs of different plans, bigger and smaller, one after the other and
// concurrently on one engine, answer as a new engine answers each (nothing of one run shows in another).
func TestRunMemoryReusedAcrossPlans(t *testing.T) {
	queries := []string{
		`{ items(n: 5) { id kids { id parent { id } kids { name } } } }`,
		`{ search { __typename ... on Node { id } ... on Item { name } } n: node(id: "o1") { id } }`,
		`{ items(n: 1) { id kids { id broken } } }`,
		`{ items(n: 3) { id kids { id } } maybe { id } }`,
		`{ items { id secret owned } b: node(id: "o2") { id } }`,
		`{ a: items(n: 6) { id kids { id } } b: items(n: 1) { kids { id } } }`,
	}
	want := make([]result, len(queries))
	for i, q := range queries {
		e, schema := newTestEngine(t, &fixture{}, WithGuard(guard{}))
		want[i] = execute(t, e, schema, q, nil)
	}
	e, schema := newTestEngine(t, &fixture{}, WithGuard(guard{}))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for n := range 30 {
				i := (n*(g+1) + g) % len(queries)
				if got := execute(t, e, schema, queries[i], nil); !cmp.Equal(want[i], got) {
					t.Errorf("goroutine %d, run %d, query %d:\n%s", g, n, i, cmp.Diff(want[i], got))
					return
				}
			}
		})
	}
	wg.Wait()
	for i, q := range queries { // and once more one after the other, each after a different one
		if got := execute(t, e, schema, q, nil); !cmp.Equal(want[i], got) {
			t.Errorf("query %d after the others:\n%s", i, cmp.Diff(want[i], got))
		}
	}
}
