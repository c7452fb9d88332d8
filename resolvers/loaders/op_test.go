package loaders

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/graph/engine"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a fetch function that records its batches and answers "v:<key>", or fails the batch
// when a key starts with "fail", or panics for a key "panic".
type recorder struct {
	mu      sync.Mutex
	batches [][]string
}

func (r *recorder) fetch(_ context.Context, keys []string) ([]string, error) {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Sorted(slices.Values(keys)))
	r.mu.Unlock()
	out := make([]string, len(keys))
	for i, k := range keys {
		switch {
		case k == "panic":
			panic("boom")
		case strings.HasPrefix(k, "fail"):
			return nil, errors.New("upstream failed")
		}
		out[i] = "v:" + k
	}
	return out, nil
}

func (r *recorder) got() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

// testSet is a Set with two kinds over recorders.
func testSet() (*Set, *kind[string], *kind[string], *recorder, *recorder) {
	s := &Set{sizes: noop.Int64Histogram{}}
	ra, rb := &recorder{}, &recorder{}
	a := newKind(s, "a", ra.fetch)
	b := newKind(s, "b", rb.fetch)
	return s, a, b, ra, rb
}

func TestLevelMergesLookUpsOfOneKind(t *testing.T) {
	s, a, b, ra, rb := testSet()
	ctx, run, end := s.Begin(context.Background())
	var got [3][]string
	runLevel(ctx, run,
		func(ctx context.Context) { got[0], _ = a.load(ctx, []string{"1", "2"}) },
		func(ctx context.Context) { got[1], _ = a.load(ctx, []string{"2", "3"}) },
		func(ctx context.Context) { got[2], _ = b.load(ctx, []string{"1"}) },
	)
	end()
	want := [3][]string{{"v:1", "v:2"}, {"v:2", "v:3"}, {"v:1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"1", "2", "3"}}, ra.got()); diff != "" {
		t.Errorf("kind a: one call with every key of the level once (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"1"}}, rb.got()); diff != "" {
		t.Errorf("kind b (-want +got):\n%s", diff)
	}
}

func TestKeysAreFetchedOncePerOperation(t *testing.T) {
	s, a, _, ra, _ := testSet()
	ctx, run, end := s.Begin(context.Background())
	one := func(keys ...string) {
		runLevel(ctx, run, func(ctx context.Context) {
			if _, err := a.load(ctx, keys); err != nil {
				t.Error(err)
			}
		})
	}
	one("1", "2")
	one("2", "3") // the next level: 2 comes from the memo
	one("1")      // nothing new: no call
	end()
	if diff := cmp.Diff([][]string{{"1", "2"}, {"3"}}, ra.got()); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

func TestSequentialLoadsInOneCall(t *testing.T) {
	s, a, b, ra, rb := testSet()
	ctx, run, end := s.Begin(context.Background())
	runLevel(ctx, run,
		func(ctx context.Context) {
			_, _ = a.load(ctx, []string{"1"})
			_, _ = b.load(ctx, []string{"x"}) // after the first round: must not wait for the other call
		},
		func(ctx context.Context) { _, _ = a.load(ctx, []string{"2"}) },
	)
	end()
	if diff := cmp.Diff([][]string{{"1", "2"}}, ra.got()); diff != "" {
		t.Errorf("kind a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"x"}}, rb.got()); diff != "" {
		t.Errorf("kind b (-want +got):\n%s", diff)
	}
}

// TestDoDoesNotHoldBackOthers: while one call waits in Do (a page, a write), the level's look-ups go
// out; Do's call itself can still load afterwards.
func TestDoDoesNotHoldBackOthers(t *testing.T) {
	s, a, _, ra, _ := testSet()
	ctx, run, end := s.Begin(context.Background())
	sent := make(chan struct{})
	runLevel(ctx, run,
		func(ctx context.Context) {
			_, _ = Do(ctx, func(context.Context) (int, error) {
				select {
				case <-sent:
				case <-time.After(10 * time.Second):
					t.Error("the other call's look-up waited for Do")
				}
				return 0, nil
			})
			_, _ = a.load(ctx, []string{"2"})
		},
		func(ctx context.Context) {
			_, _ = a.load(ctx, []string{"1"})
			close(sent)
		},
	)
	end()
	if diff := cmp.Diff([][]string{{"1"}, {"2"}}, ra.got()); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

func TestFailuresReachEveryWaiter(t *testing.T) {
	s, a, _, _, _ := testSet()
	ctx, run, end := s.Begin(context.Background())
	errs := make([]error, 3)
	runLevel(ctx, run,
		func(ctx context.Context) { _, errs[0] = a.load(ctx, []string{"fail1"}) },
		func(ctx context.Context) { _, errs[1] = a.load(ctx, []string{"ok"}) }, // same batch: fails too
	)
	end()
	ctx, run, end = s.Begin(context.Background())
	runLevel(ctx, run, func(ctx context.Context) { _, errs[2] = a.load(ctx, []string{"panic"}) })
	end()
	for i, err := range errs {
		if err == nil {
			t.Errorf("call %d: no error", i)
		}
	}
}

func TestWithoutOperationFetchesDirectly(t *testing.T) {
	_, a, _, ra, _ := testSet()
	got, err := a.load(context.Background(), []string{"1", "2", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"v:1", "v:2", "v:1"}, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"1", "2"}}, ra.got()); diff != "" {
		t.Errorf("batches: each key once (-want +got):\n%s", diff)
	}
}

// TestFuturesComeFromSlabs: a look-up of many new keys costs a handful of allocations, not one per
// key, and the futures made over several slabs keep their values.
func TestFuturesComeFromSlabs(t *testing.T) {
	s, a, _, _, _ := testSet()
	keys := make([]string, 200)
	for i := range keys {
		keys[i] = fmt.Sprint(i)
	}
	allocs := testing.AllocsPerRun(20, func() {
		ctx, run, end := s.Begin(context.Background())
		for _, part := range [][]string{keys[:3], keys[:50], keys[20:200]} { // slabs of 3, then 47, 150
			runLevel(ctx, run, func(ctx context.Context) {
				got, err := a.load(ctx, part)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range got {
					if v != "v:"+part[i] {
						t.Fatalf("key %s: %s", part[i], v)
					}
				}
			})
		}
		end()
	})
	// The recorder's 200 answers are part of the count; the rest is per call, level and map growth
	// (one future per key made this 525).
	if limit := 200.0 + 130; allocs > limit {
		t.Errorf("%.0f allocations for 200 keys, want at most %.0f", allocs, limit)
	}
}

// runLevel runs calls as one level.
func runLevel(ctx context.Context, run engine.LevelRunner, calls ...func(context.Context)) {
	run.RunLevel(ctx, len(calls), func(ctx context.Context, i int) { calls[i](ctx) })
}

// TestCrewServesEveryLevel: the calls and batches of later levels run on the goroutines of the first,
// and none is left once the operation has ended.
func TestCrewServesEveryLevel(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{} // the goroutines that ran a call or a batch
	note := func() {
		buf := make([]byte, 64)
		id, _, _ := strings.Cut(strings.TrimPrefix(string(buf[:runtime.Stack(buf, false)]), "goroutine "), " ")
		mu.Lock()
		seen[id] = true
		mu.Unlock()
	}
	rec := &recorder{}
	fetch := func(ctx context.Context, keys []string) ([]string, error) {
		note()
		return rec.fetch(ctx, keys)
	}
	s := &Set{sizes: noop.Int64Histogram{}}
	a, b := newKind(s, "a", fetch), newKind(s, "b", fetch)
	call := func(k *kind[string], key string) func(context.Context) {
		return func(ctx context.Context) {
			note()
			if _, err := k.load(ctx, []string{key}); err != nil {
				t.Error(err)
			}
		}
	}
	ctx, run, end := s.Begin(context.Background())
	for level := range 5 {
		l := fmt.Sprint(level)
		runLevel(ctx, run, call(a, "x"+l), call(a, "y"+l), call(b, "z"+l)) // a round of two batches
	}
	end()
	// Per level, two calls go to workers and the round's second batch to a third (the goroutine that
	// sends the round runs the first): 4 goroutines in all, where a goroutine per piece of work
	// started 15 besides the caller's.
	if len(seen) != 4 {
		t.Errorf("5 levels of 3 calls and 2 batches ran on %d goroutines, want 4 (the caller's and 3 workers)", len(seen))
	}
	goleak.VerifyNone(t)
}

// TestMemoSizedFromTheLastOperation: an operation's memo of a kind starts as large as the last one's
// ended, instead of growing with every level.
func TestMemoSizedFromTheLastOperation(t *testing.T) {
	s, a, _, _, _ := testSet()
	keys := make([]string, 300)
	for i := range keys {
		keys[i] = fmt.Sprint(i)
	}
	op := func() {
		ctx, run, end := s.Begin(context.Background())
		for _, n := range []int{4, 40, 300} {
			runLevel(ctx, run, func(ctx context.Context) { _, _ = a.load(ctx, keys[:n]) })
		}
		end()
	}
	op()
	if got := a.last.Load(); got != 300 {
		t.Errorf("recorded %d keys, want 300", got)
	}
	grown := testing.AllocsPerRun(10, func() { a.last.Store(0); op() })
	hinted := testing.AllocsPerRun(10, op)
	if hinted >= grown {
		t.Errorf("%.0f allocations with the last size, %.0f without: want fewer", hinted, grown)
	}
}

// TestLoadAfterDoWhileARoundIsSent: a call that loads after Do, while a round of two kinds is being
// sent (its second batch on the crew), gets its keys in a round of their own: keys queued after a
// round was taken are never fetched by that round's batch nor left in a round without batches.
func TestLoadAfterDoWhileARoundIsSent(t *testing.T) {
	for n := range 200 {
		s, a, b, _, _ := testSet()
		ctx, run, end := s.Begin(context.Background())
		started := make(chan struct{})
		var late []string
		var lateErr error
		runLevel(ctx, run,
			func(ctx context.Context) {
				_, _ = Do(ctx, func(context.Context) (int, error) {
					<-started // the round of the other call is being sent
					return 0, nil
				})
				late, lateErr = b.load(ctx, []string{"late"})
			},
			func(ctx context.Context) {
				op := fromContext(ctx)
				op.mu.Lock()
				fa := a.enqueueLocked(op, []string{"x"})
				fb := b.enqueueLocked(op, []string{"y"})
				close(started)
				awaitLocked(op, fa)
				awaitLocked(op, fb)
				op.mu.Unlock()
			},
		)
		end()
		if lateErr != nil || len(late) != 1 || late[0] != "v:late" {
			t.Fatalf("run %d: the load after Do got %v, %v", n, late, lateErr)
		}
	}
}
