// Package calltrace records the upstream calls one GraphQL request causes, for the fan-out plan a
// developer can ask for (extensions.trace), the access log's call count and per-operation analytics.
//
// The request's entry point puts a Recorder in the context; every upstream attempt (REST request or
// gRPC call, retries included) adds one Call to it. Without a Recorder in the context recording costs a
// context look-up and nothing else.
package calltrace

import (
	"context"
	"sync"
	"time"
)

// Call is one upstream attempt as the instance saw it.
type Call struct {
	// Upstream is the upstream's name, e.g. "accounts".
	Upstream string
	// Instance is the address the attempt went to, e.g. "127.0.0.1:4001"; empty when not known.
	Instance string
	// Route is the REST route ("GET /users") or the full gRPC method ("/orders.v1.Orders/GetOrders").
	Route string
	// BatchSize is the number of keys the call carried; 0 for a call that is not a batch look-up.
	BatchSize int
	// Attempt counts from 1; a retry has Attempt > 1.
	Attempt int
	// Start is when the attempt began.
	Start time.Time
	// Duration is how long the attempt took.
	Duration time.Duration
	// Code is the upstreamerr code of a failed attempt, "" on success.
	Code string
	// CacheHit is true when the answer came from a cache and no request reached the instance; BatchSize
	// is then the number of keys the cache answered, and Instance is empty.
	CacheHit bool
}

// Recorder collects the calls of one request. Safe for concurrent use.
type Recorder struct {
	start time.Time
	mu    sync.Mutex
	calls []Call
}

// NewRecorder returns a recorder whose offsets count from start (normally the request's arrival).
func NewRecorder(start time.Time) *Recorder { return &Recorder{start: start} }

// Start returns the time offsets are measured from.
func (r *Recorder) Start() time.Time { return r.start }

// Add records c.
func (r *Recorder) Add(c Call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

// Calls returns a copy of the calls recorded so far, in the order they were added.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Len returns how many calls were recorded that reached an instance (cache hits are not calls).
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if !c.CacheHit {
			n++
		}
	}
	return n
}

// CacheKeys returns how many keys a cache answered (the batch sizes of the cache hits recorded).
func (r *Recorder) CacheKeys() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if c.CacheHit {
			n += c.BatchSize
		}
	}
	return n
}

type recorderKey struct{}

// NewContext returns ctx carrying r.
func NewContext(ctx context.Context, r *Recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, r)
}

// FromContext returns the recorder in ctx, or nil.
func FromContext(ctx context.Context) *Recorder {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	return r
}

// Record adds c to the recorder in ctx, if there is one.
func Record(ctx context.Context, c Call) {
	if r := FromContext(ctx); r != nil {
		r.Add(c)
	}
}

type batchKey struct{}

// WithBatchSize returns ctx telling the transport below that the call it makes carries n keys.
// Typed clients set it around batch look-ups.
func WithBatchSize(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, batchKey{}, n)
}

// BatchSize returns the batch size set by WithBatchSize, or 0.
func BatchSize(ctx context.Context) int {
	n, _ := ctx.Value(batchKey{}).(int)
	return n
}
