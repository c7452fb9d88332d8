package telemetry

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/trellisgw/trellis/graph/engine"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// fieldExtension makes a span per resolver field (telemetry.traces.field_spans). Fields answered from
// their parent object without a resolver get none: they cost nothing worth tracing.
type fieldExtension struct{ t *Telemetry }

// Interface guards.
var (
	_ graphql.HandlerExtension = (*fieldExtension)(nil)
	_ graphql.FieldInterceptor = (*fieldExtension)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (e *fieldExtension) ExtensionName() string { return "TrellisFieldSpans" }

// Validate implements graphql.HandlerExtension.
func (e *fieldExtension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField wraps a resolver field in a span named after its type and field, e.g. "User.reviews".
func (e *fieldExtension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	ctx, span := e.t.tracer.Start(ctx, fc.Object+"."+fc.Field.Name)
	defer span.End()
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("graphql.field.path", fc.Path().String()),
		)
		if def := fc.Field.Definition; def != nil {
			span.SetAttributes(attribute.String("graphql.field.type", def.Type.String()))
		}
	}
	res, err := next(ctx)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return res, err
}

// FieldTracer returns the engine's tracer of resolver calls (telemetry.traces.field_spans), nil when
// field spans are off. Its spans are one per (field, level): "User.reviews" with the number of
// parents it resolved for.
func (t *Telemetry) FieldTracer() engine.Tracer {
	if !t.cfg.Traces.FieldSpans {
		return nil
	}
	return fieldTracer{t}
}

type fieldTracer struct{ t *Telemetry }

// StartField implements engine.Tracer.
func (f fieldTracer) StartField(ctx context.Context, name, path string, parents int) (context.Context, func(error)) {
	ctx, span := f.t.tracer.Start(ctx, name)
	if span.IsRecording() {
		span.SetAttributes(attribute.String("graphql.field.path", path), attribute.Int("graphql.field.parents", parents))
	}
	return ctx, func(err error) {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}
