package telemetry

import (
	"slices"

	"github.com/trellisgw/trellis/upstreams/calltrace"
)

// PlanCall is one upstream attempt of the fan-out plan (extensions.trace), as a developer sees it.
type PlanCall struct {
	// Upstream is the upstream's name, e.g. "products".
	Upstream string `json:"upstream"`
	// Instance is the address the attempt went to.
	Instance string `json:"instance,omitempty"`
	// Route is the REST route ("GET /products") or gRPC method.
	Route string `json:"route"`
	// BatchSize is the number of keys the call carried; 0 for a call that is not a batch look-up.
	BatchSize int `json:"batchSize"`
	// Attempt counts from 1; a retry has Attempt > 1.
	Attempt int `json:"attempt"`
	// StartOffsetUs is when the attempt began, in microseconds from the request's arrival.
	StartOffsetUs int64 `json:"startOffsetUs"`
	// DurationUs is how long the attempt took, in microseconds.
	DurationUs int64 `json:"durationUs"`
	// CacheHit is true when a cache answered and no request reached the instance.
	CacheHit bool `json:"cacheHit"`
	// Code is the upstream error code of a failed attempt; omitted on success.
	Code string `json:"code,omitempty"`
}

// plan returns the recorded calls in the order they started.
func plan(rec *calltrace.Recorder) []PlanCall {
	calls := rec.Calls()
	slices.SortStableFunc(calls, func(a, b calltrace.Call) int { return a.Start.Compare(b.Start) })
	out := make([]PlanCall, len(calls))
	for i, c := range calls {
		out[i] = PlanCall{
			Upstream: c.Upstream, Instance: c.Instance, Route: c.Route, BatchSize: c.BatchSize,
			Attempt:       c.Attempt,
			StartOffsetUs: c.Start.Sub(rec.Start()).Microseconds(),
			DurationUs:    c.Duration.Microseconds(),
			CacheHit:      c.CacheHit, Code: c.Code,
		}
	}
	return out
}
