package cost

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/ratelimit"
	"github.com/trellisgw/trellis/internal/opmemo"
)

// BreakdownHeader is the request header that asks for the per-field breakdown in
// extensions.cost.fields; its value must be "1" or "true". Production mode ignores it.
const BreakdownHeader = "X-Trellis-Cost-Breakdown"

// extensionName is the extension's name and the key of its state in the operation's stats.
const extensionName = "TrellisCost"

// Extension is the gqlgen handler extension that prices, limits, charges and meters operations (see
// the package doc). Create it with NewExtension.
type Extension struct {
	cfg       Config
	limiter   *ratelimit.Limiter
	breakdown bool
	model     *Model
	// prices keeps, per operation of a cached document, its requested cost when that needs no
	// variable (most operations: variables rarely size a list), so that it is priced once.
	prices opmemo.Memo[Result]

	requested metric.Int64Histogram
	actual    metric.Int64Histogram
	refused   metric.Int64Counter
}

// Option adjusts an Extension.
type Option func(*Extension)

// WithLimiter charges each operation to its client's budget when l enforces budgets, and meters
// every operation's actual cost either way; without it only the cost limit applies.
func WithLimiter(l *ratelimit.Limiter) Option { return func(e *Extension) { e.limiter = l } }

// WithoutBreakdown ignores BreakdownHeader (production mode).
func WithoutBreakdown() Option { return func(e *Extension) { e.breakdown = false } }

// NewExtension returns the extension; cfg's zero fields take their defaults. The model is built from
// the executable schema when gqlgen validates the extension.
func NewExtension(cfg Config, opts ...Option) *Extension {
	e := &Extension{cfg: cfg.WithDefaults(), breakdown: true}
	for _, o := range opts {
		o(e)
	}
	meter := otel.Meter("github.com/trellisgw/trellis/graph/cost")
	// The OpenTelemetry API only fails here on an invalid instrument name; ours are constants.
	e.requested, _ = meter.Int64Histogram("trellis.cost.requested",
		metric.WithDescription("Requested (static) cost of operations, in points."),
		metric.WithExplicitBucketBoundaries(1, 10, 100, 500, 1000, 5000, 10000, 25000, 50000, 100000))
	e.actual, _ = meter.Int64Histogram("trellis.cost.actual",
		metric.WithDescription("Actual cost of executed operations, from what the resolvers returned, in points."),
		metric.WithExplicitBucketBoundaries(1, 10, 100, 500, 1000, 5000, 10000, 25000, 50000, 100000))
	e.refused, _ = meter.Int64Counter("trellis.cost.refused",
		metric.WithDescription("Operations refused by cost: over the maximum (cost_limit), a missing slicing argument (slicing) or lack of budget (rate_limited)."))
	return e
}

// Interface guards.
var (
	_ graphql.HandlerExtension        = (*Extension)(nil)
	_ graphql.OperationContextMutator = (*Extension)(nil)
	_ graphql.FieldInterceptor        = (*Extension)(nil)
	_ graphql.ResponseInterceptor     = (*Extension)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (e *Extension) ExtensionName() string { return extensionName }

// Validate implements graphql.HandlerExtension: it builds the model from the schema's directives.
func (e *Extension) Validate(es graphql.ExecutableSchema) error {
	m, err := NewModel(es.Schema(), e.cfg)
	if err != nil {
		return err
	}
	e.model = m
	return nil
}

// Model returns the pricing model (nil before Validate).
func (e *Extension) Model() *Model { return e.model }

// opState is one operation's cost accounting.
type opState struct {
	requested   Result
	breakdown   bool
	actualMilli atomic.Int64 // actual cost in thousandths of a point (weights may be fractional)
	reservation *ratelimit.Reservation
	refused     bool
	report      Report // extensions.cost, in the operation's state: no allocation of its own
}

// MutateOperationContext implements graphql.OperationContextMutator: it runs after validation and
// before any resolver, prices the operation, and refuses it (nothing executes) when it costs more
// than the maximum or than the client's budget holds.
func (e *Extension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if e.model == nil || oc.Operation == nil {
		return nil
	}
	st := &opState{breakdown: e.breakdown && wantsBreakdown(oc.Headers.Get(BreakdownHeader))}
	oc.Stats.SetExtension(extensionName, st)
	res, gerr := e.price(oc.Operation, oc.Variables, st.breakdown)
	if gerr != nil {
		st.refused = true
		e.refused.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", "slicing")))
		return gerr
	}
	st.requested = res
	e.requested.Record(ctx, int64(res.Cost), operationAttr(oc.Operation.Operation)...)

	limit := e.cfg.MaxCost
	var client ratelimit.Client
	enforce := e.limiter != nil && e.limiter.Enforcing()
	if enforce {
		client = e.limiter.Client(ctx)
		limit = min(limit, client.Plan.Capacity)
	}
	if res.Cost > limit {
		st.refused = true
		e.refused.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", "cost_limit")))
		costs := fmt.Sprintf("costs %d points", res.Cost)
		if res.Partial {
			costs = fmt.Sprintf("costs over %d points", res.Cost-1)
		}
		err := errcode.New(errcode.CostLimitExceeded, fmt.Sprintf(
			"the operation %s, more than the %d allowed per operation: ask for fewer items (smaller first arguments) or fewer fields", costs, limit))
		err.Extensions["cost"] = res.Cost
		err.Extensions["limit"] = limit
		return err
	}
	if !enforce {
		return nil
	}
	r := e.limiter.Charge(ctx, client, res.Cost)
	st.reservation = r
	if !r.Allowed {
		st.refused = true
		e.refused.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", "rate_limited")))
		// The transport writes the status line before the error response passes the interceptors:
		// the header fields are set now.
		ratelimit.SetHeaders(ratelimit.ResponseHeader(ctx), r.Status, r.RetryAfter)
		retry := int(math.Ceil(r.RetryAfter.Seconds()))
		err := errcode.New(errcode.RateLimited, fmt.Sprintf(
			"rate limited: the operation costs %d points and %d are available; retry in %d s", res.Cost, int(r.Status.Available), retry))
		err.Extensions["cost"] = res.Cost
		err.Extensions["retryAfter"] = retry
		return err
	}
	return nil
}

func wantsBreakdown(v string) bool { return v == "1" || v == "true" }

// price is the model's Calculate, from e.prices when op was priced before without variables. A
// breakdown is computed afresh (it is asked for rarely, and its fields are not kept).
func (e *Extension) price(op *ast.OperationDefinition, vars map[string]any, breakdown bool) (Result, *gqlerror.Error) {
	if breakdown {
		return e.model.Calculate(op, vars, true)
	}
	if res, ok := e.prices.Load(op); ok {
		return res, nil
	}
	res, varying, gerr := e.model.calculate(op, vars, false)
	if gerr == nil && !varying {
		e.prices.Store(op, res)
	}
	return res, gerr
}

// InterceptField implements graphql.FieldInterceptor: each resolution adds its field's own weight
// and the type weight of every object it returned to the actual cost.
func (e *Extension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	e.countField(ctx, res, err)
	return res, err
}

// countField is InterceptField's work once the current field's resolver (under gqlgen's executor) has
// returned res and err: it adds the field's own
// weight and the type weight of every object in res to the operation's actual cost.
func (e *Extension) countField(ctx context.Context, res any, err error) {
	st := stateOf(ctx)
	fc := graphql.GetFieldContext(ctx)
	if st == nil || fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return
	}
	r := e.model.byDef[fc.Field.Definition]
	if r == nil {
		r = e.model.rule(fc.Object, fc.Field.Name, fc.Field.Definition)
	}
	cost := r.own
	for name, w := range r.args {
		if v, ok := fc.Args[name]; ok && v != nil && !isNilPointer(v) {
			cost += w
		}
	}
	if r.typeWeight > 0 && err == nil {
		cost += r.typeWeight * float64(countValues(reflect.ValueOf(res), r.listDepth))
	}
	if cost > 0 {
		st.actualMilli.Add(int64(math.Round(cost * 1000)))
	}
}

// countValues counts the non-null values in v, a result with depth list levels.
func countValues(v reflect.Value, depth int) int {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return 0
		}
		v = v.Elem()
	}
	if depth == 0 {
		return 1
	}
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return 0
	}
	switch v.Type().Elem().Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice:
	default:
		if depth == 1 {
			return v.Len() // no element can be null
		}
	}
	n := 0
	for i := range v.Len() {
		n += countValues(v.Index(i), depth-1)
	}
	return n
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// InterceptResponse implements graphql.ResponseInterceptor: once the operation has run it refunds the
// unused part of the charge, sets the RateLimit header fields and adds extensions.cost.
func (e *Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	st := stateOf(ctx)
	if st == nil {
		return resp
	}
	actual := 0
	if !st.refused {
		actual = int(math.Ceil(float64(st.actualMilli.Load())/1000 - 1e-9))
		e.actual.Record(ctx, int64(actual))
	}
	st.report = Report{Requested: st.requested.Cost, Actual: actual}
	if st.reservation == nil && e.limiter != nil && !st.refused {
		e.limiter.Meter(ctx, actual) // metering without enforcement
	}
	if r := st.reservation; r != nil {
		status := r.Status
		if r.Allowed {
			status = e.limiter.Settle(ctx, r, actual)
			ratelimit.SetHeaders(ratelimit.ResponseHeader(ctx), status, 0)
		}
		st.report.Throttle = &ThrottleStatus{
			MaximumAvailable:   status.Capacity,
			CurrentlyAvailable: int(math.Floor(status.Available)),
			RestoreRate:        status.RestoreRate,
		}
	}
	if st.breakdown && st.requested.Fields != nil {
		st.report.Fields = st.requested.Fields
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["cost"] = &st.report
	return resp
}

// The operation attribute of trellis.cost.requested, one option slice per operation type, made
// once: passing it allocates nothing.
var (
	queryAttr        = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("operation", string(ast.Query))))}
	mutationAttr     = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("operation", string(ast.Mutation))))}
	subscriptionAttr = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("operation", string(ast.Subscription))))}
)

func operationAttr(op ast.Operation) []metric.RecordOption {
	switch op {
	case ast.Query:
		return queryAttr
	case ast.Mutation:
		return mutationAttr
	case ast.Subscription:
		return subscriptionAttr
	}
	return []metric.RecordOption{metric.WithAttributes(attribute.String("operation", string(op)))}
}

func stateOf(ctx context.Context) *opState {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	st, _ := graphql.GetOperationContext(ctx).Stats.GetExtension(extensionName).(*opState)
	return st
}
