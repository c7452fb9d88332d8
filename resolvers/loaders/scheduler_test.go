package loaders

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a fetch function that records its batches and answers "v:<key>", or fails for keys
// starting with "fail".
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	release chan struct{} // when set, fetch waits for it
}

func (r *recorder) fetch(ctx context.Context, keys []string) ([]string, error) {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(keys))
	r.mu.Unlock()
	if r.release != nil {
		select {
		case <-r.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		if strings.HasPrefix(k, "fail") {
			return nil, errors.New("upstream says no")
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

func newTestLoader(t *testing.T, fetch fetchFunc[string]) (*scheduler, *loader[string], *atomic.Int32) {
	t.Helper()
	return newTestLoaderCtx(t, context.Background(), fetch)
}

// newTestLoaderCtx is newTestLoader for an operation whose context is ctx.
func newTestLoaderCtx(t *testing.T, ctx context.Context, fetch fetchFunc[string]) (*scheduler, *loader[string], *atomic.Int32) {
	t.Helper()
	var forced atomic.Int32
	s := newScheduler(ctx, 20*time.Millisecond, func() { forced.Add(1) }, nil)
	t.Cleanup(s.close)
	in := instruments{batchSizes: noop.Int64Histogram{}}
	return s, newLoader(s, in, "test", fetch), &forced
}

// field simulates one field resolution: it loads key at depth, then finishes.
func field(t *testing.T, s *scheduler, l *loader[string], key string, depth int, out *sync.Map, wg *sync.WaitGroup) {
	t.Helper()
	wg.Add(1)
	go func() {
		defer wg.Done()
		v, err := l.loadAt(key, depth)
		if err != nil {
			v = "err:" + err.Error()
		}
		out.Store(key, v)
		s.expect(-1)
	}()
}

func TestOneBatchPerLevelWithDuplicates(t *testing.T) {
	r := &recorder{}
	s, l, forced := newTestLoader(t, r.fetch)
	keys := []string{"a", "b", "a", "c", "b", "a"}
	s.expect(len(keys))
	var out sync.Map
	var wg sync.WaitGroup
	for _, k := range keys {
		field(t, s, l, k, 1, &out, &wg)
	}
	wg.Wait()
	got := r.got()
	if len(got) != 1 {
		t.Fatalf("batches = %q, want one", got)
	}
	slices.Sort(got[0])
	if diff := cmp.Diff([]string{"a", "b", "c"}, got[0]); diff != "" {
		t.Errorf("batch keys (-want +got):\n%s", diff)
	}
	for _, k := range []string{"a", "b", "c"} {
		if v, _ := out.Load(k); v != "v:"+k {
			t.Errorf("value of %s = %v", k, v)
		}
	}
	if forced.Load() != 0 {
		t.Errorf("forced flushes = %d, want 0", forced.Load())
	}
}

// A batch is held while a running field may still add keys, and sent once every field waits.
func TestHoldsBatchWhileAFieldRuns(t *testing.T) {
	r := &recorder{}
	s, l, _ := newTestLoader(t, r.fetch)
	s.expect(3) // two loading fields and one that is still running
	var out sync.Map
	var wg sync.WaitGroup
	field(t, s, l, "a", 1, &out, &wg)
	field(t, s, l, "b", 1, &out, &wg)
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.waiting == 2 })
	if got := r.got(); len(got) != 0 {
		t.Fatalf("sent %q while a field was running", got)
	}
	field(t, s, l, "c", 1, &out, &wg) // the running field now loads too
	wg.Wait()
	if got := r.got(); len(got) != 1 || len(got[0]) != 3 {
		t.Fatalf("batches = %q, want one of three keys", got)
	}
}

// Keys of a deeper level wait until no shallower field waits: the shallower one may add more of them.
func TestDeeperLevelWaitsForShallower(t *testing.T) {
	r := &recorder{}
	s, l, _ := newTestLoader(t, r.fetch)
	s.expect(2)
	release := make(chan struct{})
	done := make(chan struct{})
	go func() { // a depth-1 field in an upstream call of its own
		defer close(done)
		resume := s.wait(1)
		<-release
		resume()
		s.expect(1 - 1) // finishes, announcing one child at depth 2
	}()
	var out sync.Map
	var wg sync.WaitGroup
	field(t, s, l, "deep1", 2, &out, &wg)
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.waiting == 2 })
	if got := r.got(); len(got) != 0 {
		t.Fatalf("sent %q while a shallower field was waiting on its call", got)
	}
	close(release)
	<-done
	field(t, s, l, "deep2", 2, &out, &wg) // the child of the depth-1 field
	wg.Wait()
	if got := r.got(); len(got) != 1 || len(got[0]) != 2 {
		t.Fatalf("batches = %q, want one with both depth-2 keys", got)
	}
}

// A key queued by a deeper field and then asked for by a shallower one moves to the shallower level;
// otherwise the shallower field would wait on a level that waits on it.
func TestKeyMovesToShallowerLevel(t *testing.T) {
	r := &recorder{}
	s, l, forced := newTestLoader(t, r.fetch)
	s.expect(2)
	var out sync.Map
	var wg sync.WaitGroup
	field(t, s, l, "k", 3, &out, &wg)
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.waiting == 1 })
	wg.Add(1)
	go func() {
		defer wg.Done()
		if v, err := l.loadAt("k", 2); err != nil || v != "v:k" {
			t.Errorf("shallow load = %q, %v", v, err)
		}
		s.expect(-1)
	}()
	wg.Wait()
	if got := r.got(); len(got) != 1 {
		t.Fatalf("batches = %q, want one", got)
	}
	if forced.Load() != 0 {
		t.Fatalf("needed the watchdog: the shallow field waited on the deep level")
	}
}

// The watchdog sends queued keys when nothing progresses although the count says a field runs.
func TestWatchdogForcesAfterNoProgress(t *testing.T) {
	r := &recorder{}
	s, l, forced := newTestLoader(t, r.fetch)
	s.expect(2) // one field will never report: a miscount
	v, err := l.loadAt("x", 1)
	if err != nil || v != "v:x" {
		t.Fatalf("load = %q, %v", v, err)
	}
	if forced.Load() != 1 {
		t.Fatalf("forced flushes = %d, want 1", forced.Load())
	}
}

func TestBatchFailures(t *testing.T) {
	tests := []struct {
		name    string
		fetch   fetchFunc[string]
		wantErr string
	}{
		{"upstream error", (&recorder{}).fetch, "upstream says no"},
		{"panic", func(context.Context, []string) ([]string, error) { panic("boom") }, "panic in batch: boom"},
		{"short answer", func(context.Context, []string) ([]string, error) { return []string{"one"}, nil }, "returned 1 values for 2 keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, l, _ := newTestLoader(t, tt.fetch)
			s.expect(2)
			var out sync.Map
			var wg sync.WaitGroup
			field(t, s, l, "fail1", 1, &out, &wg)
			field(t, s, l, "fail2", 1, &out, &wg)
			wg.Wait()
			for _, k := range []string{"fail1", "fail2"} {
				v, _ := out.Load(k)
				if !strings.Contains(fmt.Sprint(v), tt.wantErr) {
					t.Errorf("%s: got %v, want an error containing %q", k, v, tt.wantErr)
				}
			}
		})
	}
}

// When the operation's context ends, a waiting field gets the batch's failure (the upstream clients
// classify it as a timeout or cancellation) instead of hanging.
func TestOperationEndFailsWaitingLoads(t *testing.T) {
	r := &recorder{release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	s, l, _ := newTestLoaderCtx(t, ctx, r.fetch)
	s.expect(1)
	errc := make(chan error, 1)
	go func() { _, err := l.loadAt("slow", 1); errc <- err }()
	waitFor(t, func() bool { return len(r.got()) == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// Keys held behind a shallower call in flight wait for it however long it takes: that is deliberate,
// not a miscount, so the watchdog must not send them early.
func TestWatchdogIgnoresDeliberateHolds(t *testing.T) {
	r := &recorder{}
	s, l, forced := newTestLoader(t, r.fetch)
	s.expect(2)
	release := make(chan struct{})
	done := make(chan struct{})
	go func() { // a depth-1 field in a slow upstream call of its own
		defer close(done)
		resume := s.wait(1)
		<-release
		resume()
		s.expect(1 - 1) // finishes, announcing one child at depth 2
	}()
	var out sync.Map
	var wg sync.WaitGroup
	field(t, s, l, "deep1", 2, &out, &wg)
	time.Sleep(5 * s.maxWait) // far past the watchdog's period
	if got := r.got(); len(got) != 0 || forced.Load() != 0 {
		t.Fatalf("sent %q (forced %d) while a shallower call was in flight", got, forced.Load())
	}
	close(release)
	<-done
	field(t, s, l, "deep2", 2, &out, &wg)
	wg.Wait()
	if got := r.got(); len(got) != 1 || len(got[0]) != 2 {
		t.Fatalf("batches = %q, want one with both depth-2 keys", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// While other operations of the process progress, a stall of this one is taken for CPU starvation for
// up to starvedLooks looks of the watchdog; then it is a miscount and the keys are sent. The watchdog is
// driven by hand (its own timer is an hour away), so nothing here depends on speed.
func TestWatchdogWaitsLongerWhileOthersProgress(t *testing.T) {
	var shared atomic.Uint64
	var forced atomic.Int32
	s := newScheduler(context.Background(), time.Hour, func() { forced.Add(1) }, &shared)
	t.Cleanup(s.close)
	r := &recorder{}
	l := newLoader(s, instruments{batchSizes: noop.Int64Histogram{}}, "test", r.fetch)
	s.expect(2) // one field will never report: a miscount
	done := make(chan string)
	go func() {
		v, _ := l.loadAt("x", 1)
		done <- v
	}()
	var gen uint64
	for queued := false; !queued; {
		s.mu.Lock()
		queued, gen = len(s.queue) > 0 && s.waiting == 1, s.timerGen
		s.mu.Unlock()
		runtime.Gosched()
	}
	for look := 1; look < starvedLooks; look++ {
		shared.Add(1) // another operation progressed
		s.watchdog(gen)
		if n := forced.Load(); n != 0 {
			t.Fatalf("look %d: forced %d flushes while other operations progressed", look, n)
		}
	}
	shared.Add(1)
	s.watchdog(gen)
	if v := <-done; v != "v:x" || forced.Load() != 1 {
		t.Fatalf("load = %q, forced = %d; want v:x after one forced flush", v, forced.Load())
	}
}
