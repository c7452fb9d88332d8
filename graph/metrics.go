package graph

import (
	"context"
	"strings"

	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/graph/errcode"
)

// instruments are the HTTP surface's metrics (OpenTelemetry API; cmd/gateway installs the SDK).
type instruments struct {
	refused metric.Int64Counter
	queued  metric.Int64UpDownCounter
}

func newInstruments() instruments {
	m := otel.Meter("github.com/trellisgw/trellis/graph")
	// A failure to create an instrument leaves a no-op one: metrics never stop requests.
	refused, _ := m.Int64Counter("trellis.graphql.refused",
		metric.WithDescription("GraphQL operations refused before execution, by reason: the limit's key (max_depth, …), "+
			"csrf, not_acceptable, method, content_type, body_too_large, get_mutation, or the error code in lower case."))
	queued, _ := m.Int64UpDownCounter("trellis.graphql.queued",
		metric.WithDescription("GraphQL requests waiting for a free slot (server.max_concurrent_operations), before their body is read."),
		metric.WithUnit("{request}"))
	return instruments{refused: refused, queued: queued}
}

// refuse counts one refused operation.
func (in instruments) refuse(ctx context.Context, reason string) {
	if in.refused != nil {
		in.refused.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", reason)))
	}
}

// queue counts delta requests more (or fewer) waiting at the admission gate.
func (in instruments) queue(ctx context.Context, delta int64) {
	if in.queued != nil {
		in.queued.Add(ctx, delta)
	}
}

// refusalReason names why errs refused an operation.
func refusalReason(errs gqlerror.List) string {
	if len(errs) == 0 {
		return "unknown"
	}
	if l, ok := errs[0].Extensions["limit"].(string); ok {
		return l
	}
	if c := errcode.Code(errs[0]); c != "" {
		return strings.ToLower(c)
	}
	return "unknown"
}
