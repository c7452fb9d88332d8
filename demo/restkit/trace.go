package restkit

import (
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// propagator reads the W3C trace context and baggage of incoming requests.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// continueTrace returns r with the caller's trace context (traceparent, tracestate, baggage) in its
// context, unless a middleware in front already put one there or the caller sent none.
func continueTrace(r *http.Request) *http.Request {
	if r.Header.Get("Traceparent") == "" || trace.SpanContextFromContext(r.Context()).IsValid() {
		return r
	}
	return r.WithContext(propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header)))
}
