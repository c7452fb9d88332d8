package faults

import (
	"context"
	"net/http"
	"slices"
	"sync"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"
)

// maxTraceIDs bounds the trace ids an instance remembers; older ones are forgotten first.
const maxTraceIDs = 256

// traceLog is the W3C trace ids of the calls an instance served, most recent last, without repeats.
type traceLog struct {
	mu  sync.Mutex // guards ids
	ids []string
}

func (l *traceLog) add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.Index(l.ids, id); i >= 0 {
		l.ids = slices.Delete(l.ids, i, i+1)
	} else if len(l.ids) >= maxTraceIDs {
		l.ids = slices.Delete(l.ids, 0, 1)
	}
	l.ids = append(l.ids, id)
}

func (l *traceLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ids)
}

func (l *traceLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = nil
}

// propagator reads the W3C traceparent, tracestate and baggage of incoming calls. The instances
// continue the caller's trace: handlers get a context whose span context is the caller's span.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// continueTrace returns ctx carrying the trace context of carrier and remembers its trace id.
func (s *State) continueTrace(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	ctx = propagator.Extract(ctx, carrier)
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		s.traces.add(sc.TraceID().String())
	}
	return ctx
}

// continueHTTP is continueTrace for an HTTP request.
func (s *State) continueHTTP(r *http.Request) *http.Request {
	if r.Header.Get("Traceparent") == "" {
		return r
	}
	return r.WithContext(s.continueTrace(r.Context(), propagation.HeaderCarrier(r.Header)))
}

// continueGRPC is continueTrace for a gRPC call's incoming metadata.
func (s *State) continueGRPC(ctx context.Context) context.Context {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok || len(md.Get("traceparent")) == 0 {
		return ctx
	}
	return s.continueTrace(ctx, metadataCarrier(md))
}

// TraceIDs returns the W3C trace ids (32 hex digits) of the calls the instance served since it started
// or its calls were last reset, most recent last, each once; at most the last 256.
func (s *State) TraceIDs() []string { return s.traces.snapshot() }

// metadataCarrier adapts gRPC metadata to propagation.TextMapCarrier.
type metadataCarrier metadata.MD

// Get implements propagation.TextMapCarrier.
func (c metadataCarrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set implements propagation.TextMapCarrier.
func (c metadataCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

// Keys implements propagation.TextMapCarrier.
func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
