// Package balancer spreads one upstream's calls over its instances.
//
// A Pool holds the instances of one upstream as a copy-on-write snapshot: picking reads one atomic
// pointer and a few atomic counters, never takes a lock and never does I/O. Each Pick returns a Picked
// whose Done method reports the attempt's outcome; Done keeps the in-flight count, the peak-EWMA
// latency and the passive outlier detector up to date.
//
// Policies (Config.Policy):
//   - round_robin: the instances in turn.
//   - least_request: power of two choices, fewer requests in flight wins.
//   - peak_ewma (default): power of two choices scored by peak-EWMA latency × (in flight + 1), as
//     Finagle and Linkerd do. The EWMA jumps up to any slower observation at once (peak) and decays
//     towards faster ones with the time constant Config.EWMADecay; a score read later decays with
//     the time elapsed since the last observation, so a slow instance is probed again now and then.
//
// Health has two sources. Active checks (package health for REST; grpc-go's health checking for
// gRPC) mark an instance healthy or not with SetHealthy. Passive outlier ejection counts consecutive
// failures reported through Done: at Config.Outlier.ConsecutiveFailures the instance is ejected for
// BaseEjectionTime × the times it has been ejected, capped at MaxEjectionTime, unless that would eject
// more than MaxEjectionPercent of the instances (at least one may always be ejected) or all of them.
// When fewer than PanicThreshold percent of the instances are eligible, the pool balances over all of
// them (Envoy's panic mode): a degraded upstream is better than none.
//
// The gRPC upstreams use the same Pool inside a grpc-go balancer (package grpcconn), so both
// transports share one implementation of the policies.
package balancer
