package graph

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisgw/trellis/graph/errcode"
)

// waitFor polls cond until it holds, failing t after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waiting returns how many acquires wait at g.
func (g *gate) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiters.Len()
}

// TestGateIsFIFO: waiters are admitted in the order they came, one per release, and a newcomer does
// not overtake them even when it arrives as a slot frees.
func TestGateIsFIFO(t *testing.T) {
	g := newGate(1)
	if !g.tryAcquire() {
		t.Fatal("an empty gate refused a slot")
	}
	if g.tryAcquire() {
		t.Fatal("a full gate gave a second slot")
	}
	const n = 5
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.acquire(context.Background()); err != nil {
				t.Errorf("waiter %d: %v", i, err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			g.release()
		}()
		waitFor(t, "waiter to queue", func() bool { return g.waiting() == i+1 })
	}
	if g.tryAcquire() {
		t.Fatal("tryAcquire overtook the waiters")
	}
	g.release()
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("admitted in order %v, want 0..%d", order, n-1)
		}
	}
	if g.running != 0 || g.waiting() != 0 {
		t.Fatalf("after all released: running %d, waiting %d", g.running, g.waiting())
	}
}

// TestGateWaiterThatGivesUpLeavesTheQueue: a waiter whose context ends returns its error, holds
// nothing, and the slot goes to the waiter behind it.
func TestGateWaiterThatGivesUpLeavesTheQueue(t *testing.T) {
	g := newGate(1)
	g.tryAcquire()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second := make(chan error, 1)
	errFirst := make(chan error, 1)
	go func() { errFirst <- g.acquire(ctx) }()
	waitFor(t, "the first waiter", func() bool { return g.waiting() == 1 })
	go func() { second <- g.acquire(context.Background()) }()
	waitFor(t, "the second waiter", func() bool { return g.waiting() == 2 })
	cancel() // only now: under load a timeout could end the first before the second queues
	if err := <-errFirst; err != context.Canceled {
		t.Fatalf("first waiter: %v, want context.Canceled", err)
	}
	g.release()
	if err := <-second; err != nil {
		t.Fatalf("second waiter: %v", err)
	}
	g.release()
	if g.running != 0 || g.waiting() != 0 {
		t.Fatalf("after all released: running %d, waiting %d", g.running, g.waiting())
	}
}

func TestConcurrencyLimit(t *testing.T) {
	for _, tc := range []struct {
		set, want int
	}{
		{0, 32 * runtime.GOMAXPROCS(0)},
		{-1, -1},
		{1, 1},
		{500, 500},
	} {
		if got := (Config{MaxConcurrentOperations: tc.set}).ConcurrencyLimit(); got != tc.want {
			t.Errorf("max_concurrent_operations %d: limit %d, want %d", tc.set, got, tc.want)
		}
	}
	err := Config{MaxConcurrentOperations: -2}.WithDefaults().Validate()
	want := "max_concurrent_operations: must be -1 (no limit), 0 (default: 32 × GOMAXPROCS) or a number of requests, got -2"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate() = %v, want %q", err, want)
	}
}

// holder is a per-request middleware that holds each request until release is closed (deaf to its
// context, as a request writing a large response to a slow client is), counting the requests in it.
type holder struct {
	in, peak atomic.Int32
	entered  chan struct{}
	release  chan struct{}
}

func newHolder() *holder {
	return &holder{entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (h *holder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := h.in.Add(1)
		for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
		}
		h.entered <- struct{}{}
		<-h.release
		h.in.Add(-1)
		next.ServeHTTP(w, r)
	})
}

// readCounter is a request body that counts the reads of it.
type readCounter struct {
	r     io.Reader
	reads atomic.Int32
}

func (b *readCounter) Read(p []byte) (int, error) {
	b.reads.Add(1)
	return b.r.Read(p)
}

// post sends a query to h and returns the recorder once h is done.
func post(ctx context.Context, h http.Handler, body io.Reader, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", body)
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestAdmissionDeadlineWhileQueued: with server.max_concurrent_operations 1 and one request running,
// a second waits without its body being read and, once its deadline passes, is answered 503 with
// SERVER_OVERLOADED and Retry-After, in the media type it accepts; the running one is unaffected.
func TestAdmissionDeadlineWhileQueued(t *testing.T) {
	hold := newHolder()
	h := newTestHandler(t, Config{MaxConcurrentOperations: 1, RequestTimeout: time.Minute}, Deps{PerRequest: hold.wrap})
	first := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		first <- post(context.Background(), h, strings.NewReader(`{"query":"{ __typename }"}`), "")
	}()
	<-hold.entered
	// The second request's own deadline is shorter than server.request_timeout: it is the one kept.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	body := &readCounter{r: strings.NewReader(`{"query":"{ __typename }"}`)}
	rec := post(ctx, h, body, mediaGraphQLResponse)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503; body %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	if got := rec.Header().Get("Content-Type"); got != mediaGraphQLResponse+"; charset=utf-8" {
		t.Errorf("Content-Type %q, want %s", got, mediaGraphQLResponse)
	}
	var resp gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.ServerOverloaded || resp.Data != nil {
		t.Fatalf("body %s, want one SERVER_OVERLOADED error and no data", rec.Body)
	}
	if n := body.reads.Load(); n != 0 {
		t.Errorf("the queued request's body was read %d times, want 0", n)
	}
	close(hold.release)
	if r := <-first; r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `"__typename":"Query"`) {
		t.Fatalf("the running request: %d %s", r.Code, r.Body)
	}
	if p := hold.peak.Load(); p != 1 {
		t.Errorf("%d requests ran at once, want 1", p)
	}
}

// TestAdmissionRunsWaitersAsSlotsFree: requests over the limit wait and run once a slot frees, never
// more than the limit at once; OPTIONS passes a full gate without waiting; a waiter whose client goes
// away is answered nothing and never runs.
func TestAdmissionRunsWaitersAsSlotsFree(t *testing.T) {
	hold := newHolder()
	h := newTestHandler(t, Config{MaxConcurrentOperations: 2}, Deps{PerRequest: hold.wrap})
	const n = 5
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- post(context.Background(), h, strings.NewReader(`{"query":"{ __typename }"}`), "").Code
		}()
	}
	<-hold.entered
	<-hold.entered // the gate is full

	opt := httptest.NewRecorder()
	h.ServeHTTP(opt, httptest.NewRequest(http.MethodOptions, "/graphql", nil))
	if opt.Code != http.StatusNoContent {
		t.Errorf("OPTIONS with the gate full: %d, want 204 at once", opt.Code)
	}
	gone, cancel := context.WithCancel(context.Background())
	goneDone := make(chan *httptest.ResponseRecorder, 1)
	go func() { goneDone <- post(gone, h, strings.NewReader(`{"query":"{ __typename }"}`), "") }()
	time.Sleep(10 * time.Millisecond) // let it queue
	cancel()
	if r := <-goneDone; r.Body.Len() != 0 {
		t.Errorf("a waiter whose client went away was answered %d %s, want nothing", r.Code, r.Body)
	}

	close(hold.release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("status %d, want 200 for every request", c)
		}
	}
	if p := hold.peak.Load(); p != 2 {
		t.Errorf("%d requests ran at once, want 2 (the limit)", p)
	}
	if got := len(hold.entered); got != n-2 {
		t.Errorf("%d more requests ran, want %d (the client that went away never runs)", got, n-2)
	}
}

// TestAdmissionNoLimit: max_concurrent_operations -1 lets every request run at once.
func TestAdmissionNoLimit(t *testing.T) {
	hold := newHolder()
	h := newTestHandler(t, Config{MaxConcurrentOperations: -1}, Deps{PerRequest: hold.wrap})
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			post(context.Background(), h, strings.NewReader(`{"query":"{ __typename }"}`), "")
		}()
	}
	for range n {
		<-hold.entered // all n inside at once: none is released before the last arrives
	}
	close(hold.release)
	wg.Wait()
	if p := hold.peak.Load(); p != n {
		t.Errorf("%d requests ran at once, want %d", p, n)
	}
}

// TestAdmissionKeepsTheArrivalDeadline: a request that waited at the gate runs with the deadline of
// its arrival (server.request_timeout from then), not a new one from when it was admitted.
func TestAdmissionKeepsTheArrivalDeadline(t *testing.T) {
	const timeout = 2 * time.Second
	hold := newHolder()
	var deadlines sync.Map // request body → its deadline in the per-request middleware
	record := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			dl, _ := r.Context().Deadline()
			deadlines.Store(r.Header.Get("X-Name"), dl)
			hold.wrap(next).ServeHTTP(w, r)
		})
	}
	h := newTestHandler(t, Config{MaxConcurrentOperations: 1, RequestTimeout: timeout}, Deps{PerRequest: record})
	var arrived time.Time // the second request's arrival at the handler
	send := func(name string) {
		if name == "second" {
			arrived = time.Now()
		}
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Name", name)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); send("first") }()
	<-hold.entered
	go func() { defer wg.Done(); send("second") }()
	time.Sleep(300 * time.Millisecond) // the second waits
	close(hold.release)
	wg.Wait()
	v, ok := deadlines.Load("second")
	if !ok {
		t.Fatal("the second request did not run")
	}
	if dl := v.(time.Time); dl.After(arrived.Add(timeout + 50*time.Millisecond)) {
		t.Fatalf("the request that waited runs until %s after its arrival, want at most %s", dl.Sub(arrived), timeout)
	}
}
