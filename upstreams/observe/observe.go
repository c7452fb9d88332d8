package observe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/trellisgw/trellis/upstreams/balancer"
	"github.com/trellisgw/trellis/upstreams/calltrace"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// scope names the instrumentation scope of the meter and the tracer.
const scope = "github.com/trellisgw/trellis/upstreams"

// Instruments are the metrics and the tracer of the upstream clients of one process. Safe for
// concurrent use; Close unregisters the gauges' callback.
type Instruments struct {
	tracer    trace.Tracer
	requests  metric.Int64Counter
	duration  metric.Float64Histogram
	ejections metric.Int64Counter
	retries   metric.Int64Counter
	rejected  metric.Int64Counter
	reg       metric.Registration

	// clientSpan is the options of every attempt's span, made once: a variadic slice passed to an
	// interface method is allocated at each call otherwise.
	clientSpan []trace.SpanStartOption

	mu      sync.Mutex // guards watched
	watched []watched

	// attrs caches the metric options of each (upstream, instance, route, code) seen: building the
	// attribute set is a sort and several allocations, paid per attempt otherwise. Bounded by
	// instances × routes × codes. A map under a lock rather than a sync.Map: its struct key is looked
	// up without being boxed into an interface.
	attrsMu sync.RWMutex
	attrs   map[attemptKey]attemptOptions
}

type attemptKey struct{ upstream, instance, route, code string }

// attemptOptions are the metric options of one attemptKey, as the variadic slices the instruments
// take, so that recording an attempt allocates none.
type attemptOptions struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

// watched is one upstream whose pools and breaker the gauges read.
type watched struct {
	upstream string
	pool     *balancer.Pool
	breaker  func() int
}

// New creates the instruments from the global meter and tracer providers.
func New() (*Instruments, error) {
	m := otel.Meter(scope)
	in := &Instruments{tracer: otel.Tracer(scope), clientSpan: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)},
		attrs: map[attemptKey]attemptOptions{}}
	var errs [8]error
	in.requests, errs[0] = m.Int64Counter("trellis.upstream.requests",
		metric.WithDescription("Upstream attempts, by upstream, instance, route and code (OK or the failure code)."))
	in.duration, errs[1] = m.Float64Histogram("trellis.upstream.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of upstream attempts."),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
	in.ejections, errs[2] = m.Int64Counter("trellis.upstream.ejections",
		metric.WithDescription("Instances ejected by the outlier detector."))
	in.retries, errs[3] = m.Int64Counter("trellis.upstream.retries",
		metric.WithDescription("Retried upstream attempts."))
	in.rejected, errs[4] = m.Int64Counter("trellis.upstream.rejected",
		metric.WithDescription("Upstream calls refused without I/O: breaker open or max_in_flight reached."))
	inflight, err5 := m.Int64ObservableGauge("trellis.upstream.in_flight",
		metric.WithDescription("Attempts in flight per upstream instance."))
	healthy, err6 := m.Int64ObservableGauge("trellis.upstream.instance.healthy",
		metric.WithDescription("1 when the instance is healthy and not ejected, 0 otherwise."))
	breaker, err7 := m.Int64ObservableGauge("trellis.upstream.breaker.state",
		metric.WithDescription("Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open."))
	errs[5], errs[6], errs[7] = err5, err6, err7
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("upstream metrics: %w", err)
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		in.mu.Lock()
		defer in.mu.Unlock()
		now := time.Now()
		for _, w := range in.watched {
			up := attribute.String("upstream", w.upstream)
			if w.breaker != nil {
				o.ObserveInt64(breaker, int64(w.breaker()), metric.WithAttributes(up))
			}
			if w.pool == nil {
				continue
			}
			for _, inst := range w.pool.Instances() {
				attrs := metric.WithAttributes(up, attribute.String("instance", inst.Addr()))
				o.ObserveInt64(inflight, inst.InFlight(), attrs)
				h := int64(0)
				if inst.Healthy() && !inst.Ejected(now) {
					h = 1
				}
				o.ObserveInt64(healthy, h, attrs)
			}
		}
		return nil
	}, inflight, healthy, breaker)
	if err != nil {
		return nil, fmt.Errorf("upstream metrics: %w", err)
	}
	in.reg = reg
	return in, nil
}

// Watch makes the gauges report pool's instances and breaker's state (either may be nil) under
// upstream.
func (in *Instruments) Watch(upstream string, pool *balancer.Pool, breaker func() int) {
	in.mu.Lock()
	in.watched = append(in.watched, watched{upstream: upstream, pool: pool, breaker: breaker})
	in.mu.Unlock()
}

// Close unregisters the gauges.
func (in *Instruments) Close() error { return in.reg.Unregister() }

// Ejected counts an ejection of the instance at addr.
func (in *Instruments) Ejected(upstream, addr string) {
	in.ejections.Add(context.Background(), 1, metric.WithAttributes(
		attribute.String("upstream", upstream), attribute.String("instance", addr)))
}

// Retried counts a retry of route.
func (in *Instruments) Retried(ctx context.Context, upstream, route string) {
	in.retries.Add(ctx, 1, metric.WithAttributes(attribute.String("upstream", upstream), attribute.String("route", route)))
}

// Rejected counts a call refused without I/O for reason.
func (in *Instruments) Rejected(ctx context.Context, upstream, route, reason string) {
	in.rejected.Add(ctx, 1, metric.WithAttributes(attribute.String("upstream", upstream),
		attribute.String("route", route), attribute.String("reason", reason)))
}

// Attempt is one instrumented upstream attempt: its span is open until End. Start returns it by
// value: kept in the caller's variable, it costs no allocation of its own.
type Attempt struct {
	in       *Instruments
	ctx      context.Context
	span     trace.Span
	upstream string
	route    string
	instance string
	n        int
	start    time.Time
}

// Start opens the span of attempt n of route on upstream and returns the context carrying it (to
// inject with Inject). instance may be "" and set later with SetInstance. The span's attributes are
// set only when it is recorded: building them is most of an attempt's instrumentation otherwise.
func (in *Instruments) Start(ctx context.Context, upstream, route string, n int, instance string) (context.Context, Attempt) {
	ctx, span := in.tracer.Start(ctx, route, in.clientSpan...)
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("trellis.upstream", upstream),
			attribute.String("trellis.route", route),
			attribute.Int("trellis.attempt", n),
			attribute.Int("trellis.batch_size", calltrace.BatchSize(ctx)),
		)
	}
	a := Attempt{in: in, ctx: ctx, span: span, upstream: upstream, route: route, n: n, start: time.Now()}
	a.SetInstance(instance)
	return ctx, a
}

// SetInstance names the instance the attempt went to (host:port).
func (a *Attempt) SetInstance(addr string) {
	if addr == "" || a.instance == addr {
		return
	}
	a.instance = addr
	if !a.span.IsRecording() {
		return
	}
	if host, port, err := net.SplitHostPort(addr); err == nil {
		a.span.SetAttributes(attribute.String("server.address", host))
		if p, err := strconv.Atoi(port); err == nil {
			a.span.SetAttributes(attribute.Int("server.port", p))
		}
	}
}

// SetStatus records the response status on the span: an HTTP status code, or a gRPC status code
// when grpc is true.
func (a *Attempt) SetStatus(code int, grpc bool) {
	if !a.span.IsRecording() {
		return
	}
	if grpc {
		a.span.SetAttributes(attribute.Int("rpc.grpc.status_code", code))
		return
	}
	a.span.SetAttributes(attribute.Int("http.response.status_code", code))
}

// End closes the attempt with err (nil or an *upstreamerr.Error): it ends the span, records the
// metrics and adds the attempt to the request's call trace.
func (a *Attempt) End(err error) {
	d := time.Since(a.start)
	code := upstreamerr.CodeOf(err)
	label := string(code)
	switch {
	case err == nil:
		label = "OK"
	case code == "":
		label = string(upstreamerr.Failed)
	}
	if err != nil && a.span.IsRecording() {
		a.span.SetStatus(codes.Error, label)
		a.span.SetAttributes(attribute.String("error.type", label))
	}
	a.span.End()
	o := a.in.attemptOptions(attemptKey{a.upstream, a.instance, a.route, label})
	a.in.requests.Add(a.ctx, 1, o.add...)
	a.in.duration.Record(a.ctx, d.Seconds(), o.record...)
	calltrace.Record(a.ctx, calltrace.Call{
		Upstream: a.upstream, Instance: a.instance, Route: a.route, BatchSize: calltrace.BatchSize(a.ctx),
		Attempt: a.n, Start: a.start, Duration: d, Code: string(code),
	})
}

// attemptOptions returns k's metric options, made on k's first attempt.
func (in *Instruments) attemptOptions(k attemptKey) attemptOptions {
	in.attrsMu.RLock()
	o, ok := in.attrs[k]
	in.attrsMu.RUnlock()
	if ok {
		return o
	}
	set := metric.WithAttributes(attribute.String("upstream", k.upstream), attribute.String("instance", k.instance),
		attribute.String("route", k.route), attribute.String("code", k.code))
	o = attemptOptions{add: []metric.AddOption{set}, record: []metric.RecordOption{set}}
	in.attrsMu.Lock()
	in.attrs[k] = o
	in.attrsMu.Unlock()
	return o
}

// Inject writes ctx's trace context into carrier with the global propagator.
func Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	otel.GetTextMapPropagator().Inject(ctx, carrier)
}
