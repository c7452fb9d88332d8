package graph

import (
	"container/list"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/trellisgw/trellis/graph/errcode"
)

// The admission gate (server.max_concurrent_operations) bounds how many GraphQL requests run at once.
// It is there for memory, not for CPU: each request in flight holds its working set (its upstream
// responses, the engine's per-level results, the response being written) until it ends, so the heap
// grows with the number of requests in flight, and the collector lets it grow to several times that
// (runtime.gc_percent, 400 by default). Past enough requests to keep the cores busy while the others
// wait on upstreams, more at once serve no more per second: they only wait for CPU holding memory.
// Requests over the limit wait in arrival order, before their body is read, until a running one ends
// or their deadline (server.request_timeout) passes. The limit also caps throughput at about limit ÷
// request latency (docs/ARCHITECTURE.md, "Memory: the admission gate").

// retryAfterSeconds is the Retry-After of a request refused because its deadline passed while it
// waited: an overload of the gateway is expected to be short-lived (a burst of clients), and a client
// that retries at once only joins the queue again.
const retryAfterSeconds = "1"

// errOverloaded is what a request refused by the gate is answered with.
var errOverloaded = errors.New("the gateway is overloaded: the request's deadline passed before it could run, retry later")

// admit wraps next with an admission gate of limit requests at once (no gate when limit is below 1).
// GET and POST requests pass it in arrival order; other methods (OPTIONS, refused ones) pass without
// waiting, since next answers them without running anything. A request waits at most timeout
// (server.request_timeout) from its arrival: one whose deadline passes while it waits is answered 503
// with SERVER_OVERLOADED and Retry-After, and counted as refused; one whose client goes away while it
// waits is answered nothing. One that waited reaches next with that deadline on its context, so that
// its own (decodeRequest's, from when it got there) does not restart the clock; one that did not wait
// reaches it untouched, as if there were no gate.
func admit(limit int, timeout time.Duration, ins instruments, next http.Handler) http.Handler {
	if limit < 1 {
		return next
	}
	g := newGate(limit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if !g.tryAcquire() {
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			ins.queue(ctx, 1)
			err := g.acquire(ctx)
			ins.queue(ctx, -1)
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					ins.refuse(ctx, strings.ToLower(errcode.ServerOverloaded))
					overloaded(w, r)
				}
				return
			}
			r = r.WithContext(ctx)
		}
		defer g.release()
		next.ServeHTTP(w, r)
	})
}

// overloaded answers a request refused by the gate, in the media type its Accept header prefers
// (writeError falls back to application/json).
func overloaded(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", retryAfterSeconds)
	w.Header().Set("Cache-Control", "no-store")
	writeError(w, negotiate(r.Header.Get("Accept")), http.StatusServiceUnavailable, errcode.New(errcode.ServerOverloaded, errOverloaded.Error()))
}

// gate is a counting semaphore whose waiters are admitted first come, first served. The zero value is
// not usable: make one with newGate.
type gate struct {
	limit int
	mu    sync.Mutex // guards running and waiters
	// running counts the holders; it never exceeds limit.
	running int
	// waiters holds a chan struct{} per waiting acquire, oldest first; release closes the oldest's
	// channel to hand it its slot (running unchanged).
	waiters list.List
}

func newGate(limit int) *gate { return &gate{limit: limit} }

// tryAcquire takes a slot if one is free and nobody waits (who would come first), without waiting.
func (g *gate) tryAcquire() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.takeLocked()
}

// takeLocked takes a free slot when nobody waits, with g.mu held.
func (g *gate) takeLocked() bool {
	if g.running < g.limit && g.waiters.Len() == 0 {
		g.running++
		return true
	}
	return false
}

// acquire takes a slot, waiting behind the earlier waiters until one is free or ctx ends (then it
// returns ctx's error and holds nothing). A nil error must be matched by one release.
func (g *gate) acquire(ctx context.Context) error {
	g.mu.Lock()
	if g.takeLocked() {
		g.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	elem := g.waiters.PushBack(ready)
	g.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		select {
		case <-ready:
			// Handed a slot as ctx ended: pass it on rather than run a request past its deadline.
			g.releaseLocked()
		default:
			g.waiters.Remove(elem)
		}
		g.mu.Unlock()
		return ctx.Err()
	}
}

// release gives back a slot taken by tryAcquire or acquire: to the oldest waiter if any.
func (g *gate) release() {
	g.mu.Lock()
	g.releaseLocked()
	g.mu.Unlock()
}

// releaseLocked is release with g.mu held.
func (g *gate) releaseLocked() {
	if front := g.waiters.Front(); front != nil {
		close(g.waiters.Remove(front).(chan struct{}))
		return
	}
	g.running--
}
