package telemetry

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName is the instrumentation scope of the spans and metrics made here.
const instrumentationName = "github.com/trellisgw/trellis/telemetry"

// Telemetry instruments the gateway's GraphQL endpoint. Make one with New; safe for concurrent use.
type Telemetry struct {
	cfg           Config
	fanOutPlan    bool // serve the fan-out plan (TraceHeader)
	openAnalytics bool // serve GET /admin/operations without a configured admin token
	log           *slog.Logger
	tracer        trace.Tracer
	propagator    propagation.TextMapPropagator
	names         *names

	requests metric.Int64Counter
	duration metric.Float64Histogram
	inFlight metric.Int64UpDownCounter
}

// Option adjusts New.
type Option func(*options)

type options struct {
	fanOutPlan    bool
	openAnalytics bool
	log           *slog.Logger
	tp            trace.TracerProvider
	mp            metric.MeterProvider
	prop          propagation.TextMapPropagator
}

// WithFanOutPlan says whether a request may ask for its fan-out plan (TraceHeader). Default true;
// production mode turns it off (package gateway, mode.go).
func WithFanOutPlan(on bool) Option { return func(o *options) { o.fanOutPlan = on } }

// WithLogger sets the logger of the access lines; give it the handler of WrapHandler so that every
// line carries the request and trace ids. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithTracerProvider sets where spans go. Default: the global provider (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tp = tp } }

// WithMeterProvider sets where metrics go. Default: the global provider (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *options) { o.mp = mp } }

// WithPropagator sets how trace context is read from requests. Default: the global propagator.
func WithPropagator(p propagation.TextMapPropagator) Option { return func(o *options) { o.prop = p } }

// New returns the instrumentation configured by cfg (defaults applied, then validated).
func New(cfg Config, opts ...Option) (*Telemetry, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	o := options{fanOutPlan: true, openAnalytics: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.tp == nil {
		o.tp = otel.GetTracerProvider()
	}
	if o.mp == nil {
		o.mp = otel.GetMeterProvider()
	}
	if o.prop == nil {
		o.prop = otel.GetTextMapPropagator()
	}
	t := &Telemetry{
		cfg: cfg, fanOutPlan: o.fanOutPlan, openAnalytics: o.openAnalytics, log: o.log,
		tracer:     o.tp.Tracer(instrumentationName),
		propagator: o.prop,
		names:      newNames(cfg.Metrics.MaxOperationNames, cfg.Analytics.Samples),
	}
	meter := o.mp.Meter(instrumentationName)
	var err error
	if t.requests, err = meter.Int64Counter("trellis.graphql.requests",
		metric.WithDescription("GraphQL requests by operation name and outcome (success, partial, error)."),
		metric.WithUnit("{request}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if t.duration, err = meter.Float64Histogram("trellis.graphql.duration",
		metric.WithDescription("GraphQL request latency by operation name and outcome, from arrival to the last byte written."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if t.inFlight, err = meter.Int64UpDownCounter("trellis.graphql.in_flight",
		metric.WithDescription("GraphQL requests being served."),
		metric.WithUnit("{request}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	return t, nil
}

// Extensions returns the gqlgen extensions to add to the executor, before the others so that the
// operation span is the parent of everything the operation does.
func (t *Telemetry) Extensions() []graphql.HandlerExtension {
	exts := []graphql.HandlerExtension{&operationExtension{t: t}}
	if t.cfg.Traces.FieldSpans {
		exts = append(exts, &fieldExtension{t: t})
	}
	return exts
}

// Handler wraps the gateway's handler: /graphql is instrumented (see the package doc), everything
// else passes through untouched.
func (t *Telemetry) Handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", next)
	mux.Handle("/graphql", t.middleware(next))
	return mux
}

// OperationsHandler serves GET /admin/operations, the per-operation analytics. The gateway mounts it
// on its admin surface, behind server.admin_token.
func (t *Telemetry) OperationsHandler() http.Handler { return http.HandlerFunc(t.serveOperations) }
