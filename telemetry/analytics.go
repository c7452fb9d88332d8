package telemetry

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"
)

// opStats aggregates the requests of one operation. Latency percentiles come from a ring of the most
// recent samples: bounded memory, and recent enough to show what a change did.
type opStats struct {
	mu            sync.Mutex // guards the fields below
	count, errors int64
	upstreamCalls int64
	ring          []time.Duration
	next          int // where the next sample goes in ring
	costSum       int64
	costCount     int64
}

func newOpStats(samples int) *opStats { return &opStats{ring: make([]time.Duration, 0, samples)} }

// add records one request. cost < 0 means the request's cost is not known.
func (s *opStats) add(d time.Duration, failed bool, calls int, cost int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if failed {
		s.errors++
	}
	s.upstreamCalls += int64(calls)
	if cost >= 0 {
		s.costSum += cost
		s.costCount++
	}
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, d)
		return
	}
	if cap(s.ring) > 0 {
		s.ring[s.next] = d
		s.next = (s.next + 1) % cap(s.ring)
	}
}

// OperationStats is one operation's entry of GET /admin/operations.
type OperationStats struct {
	// Operation is the operation name, "unknown" or "other" (see the package doc).
	Operation string `json:"operation"`
	// Count is the requests counted since the process started.
	Count int64 `json:"count"`
	// ErrorRate is the share of those requests whose response had errors, in [0, 1].
	ErrorRate float64 `json:"errorRate"`
	// P50Ms and P95Ms are latency percentiles in milliseconds over the most recent Samples requests.
	P50Ms float64 `json:"p50Ms"`
	P95Ms float64 `json:"p95Ms"`
	// Samples is how many latencies the percentiles come from.
	Samples int `json:"samples"`
	// UpstreamCallsPerRequest is the mean number of upstream attempts per request.
	UpstreamCallsPerRequest float64 `json:"upstreamCallsPerRequest"`
	// CostPerRequest is the mean actual query cost (extensions.cost.actualQueryCost of graph/cost, or
	// what SetCost reported); null when no request of the operation had one.
	CostPerRequest *float64 `json:"costPerRequest"`
}

func (s *opStats) snapshot(name string) OperationStats {
	s.mu.Lock()
	out := OperationStats{Operation: name, Count: s.count, Samples: len(s.ring)}
	sorted := slices.Clone(s.ring)
	errs, calls, costSum, costCount := s.errors, s.upstreamCalls, s.costSum, s.costCount
	s.mu.Unlock()
	if out.Count > 0 {
		out.ErrorRate = float64(errs) / float64(out.Count)
		out.UpstreamCallsPerRequest = float64(calls) / float64(out.Count)
	}
	if costCount > 0 {
		c := float64(costSum) / float64(costCount)
		out.CostPerRequest = &c
	}
	slices.Sort(sorted)
	out.P50Ms, out.P95Ms = percentileMs(sorted, 50), percentileMs(sorted, 95)
	return out
}

// percentileMs returns the p-th percentile (nearest rank) of sorted, in milliseconds; 0 when empty.
func percentileMs(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n), from 1
	return float64(sorted[max(rank, 1)-1]) / float64(time.Millisecond)
}

// Operations returns the analytics of every operation with at least one request, busiest first.
func (t *Telemetry) Operations() []OperationStats {
	var out []OperationStats
	for _, op := range t.names.all() {
		if s := op.stats.snapshot(op.name); s.Count > 0 {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b OperationStats) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Operation, b.Operation))
	})
	return out
}

// serveOperations answers GET /admin/operations.
func (t *Telemetry) serveOperations(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	ops := t.Operations()
	if ops == nil {
		ops = []OperationStats{}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"operations": ops}) // a failed write: the client left
}
