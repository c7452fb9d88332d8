// Package resilience keeps one upstream's calls within bounds: a retry loop for idempotent calls
// (jittered exponential backoff, Retry-After, a retry budget, a different instance each time), a
// circuit breaker, a concurrency limit and per-attempt timeouts. A Guard holds them for one upstream;
// the transports (upstreams/rest, upstreams/grpcconn) run every call through Guard.Do and make the
// attempts themselves.
//
// The breaker is sony/gobreaker v2's TwoStepCircuitBreaker. failsafe-go was weighed too: it offers
// retries, budgets, bulkheads and breakers in one composable executor, but its executor wants to own
// the whole call (the attempt function, its context and its result type), while here the transports
// pick an instance, trace and record each attempt themselves, and the budget and the limit are a few
// lines each. gobreaker's two-step form (Allow before the attempt, report after) fits that flow, its
// rolling-window counts give the failure ratio over a window, it has no dependencies, and the open
// state answers without I/O.
package resilience
