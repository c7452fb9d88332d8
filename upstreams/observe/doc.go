// Package observe instruments upstream attempts with the OpenTelemetry API (the process installs
// the SDK): one client span per attempt with W3C trace context injected into the outgoing request,
// and the metrics
//
//	trellis.upstream.requests          counter    upstream, instance, route, code ("OK" or the failure code)
//	trellis.upstream.duration          histogram  seconds; upstream, instance, route, code
//	trellis.upstream.in_flight         gauge      upstream, instance
//	trellis.upstream.instance.healthy  gauge      upstream, instance (1 healthy and not ejected, 0 otherwise)
//	trellis.upstream.ejections         counter    upstream, instance
//	trellis.upstream.retries           counter    upstream, route
//	trellis.upstream.rejected          counter    upstream, route, reason (breaker_open, max_in_flight)
//	trellis.upstream.breaker.state     gauge      upstream (0 closed, 1 half-open, 2 open)
//
// Each attempt is also added to the request's calltrace.Recorder, when there is one.
package observe
