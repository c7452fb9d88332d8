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
}

func newInstruments() instruments {
	m := otel.Meter("github.com/trellisgw/trellis/graph")
	// A failure to create an instrument leaves a no-op one: metrics never stop requests.
	refused, _ := m.Int64Counter("trellis.graphql.refused",
		metric.WithDescription("GraphQL operations refused before execution, by reason: the limit's key (max_depth, …), "+
			"csrf, not_acceptable, method, content_type, body_too_large, get_mutation, or the error code in lower case."))
	return instruments{refused: refused}
}

// refuse counts one refused operation.
func (in instruments) refuse(ctx context.Context, reason string) {
	if in.refused != nil {
		in.refused.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", reason)))
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
