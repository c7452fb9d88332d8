package auth

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The outcomes of trellis.auth.decisions.
const (
	outcomeAnonymous     = "anonymous"
	outcomeAuthenticated = "authenticated"
	outcomeRejected      = "rejected"
)

// instruments are the package's metrics. Their attributes are small fixed sets: never an id, a token
// or a key.
type instruments struct {
	decisions metric.Int64Counter
	denials   metric.Int64Counter
	fetches   metric.Int64Counter
}

func newInstruments() instruments {
	meter := otel.Meter("github.com/trellisgw/trellis/graph/auth")
	// The OpenTelemetry API only fails on invalid instrument names; these are constants.
	decisions, _ := meter.Int64Counter("trellis.auth.decisions",
		metric.WithDescription("Authentication decisions per request, by outcome (anonymous, authenticated, rejected), kind of credential and reason of a rejection."))
	denials, _ := meter.Int64Counter("trellis.auth.field_denials",
		metric.WithDescription("Fields nulled by an authorization directive, by error code."))
	fetches, _ := meter.Int64Counter("trellis.auth.jwks_fetches",
		metric.WithDescription("Fetches of the JWKS key set, by outcome (ok, error)."))
	return instruments{decisions: decisions, denials: denials, fetches: fetches}
}

func (in instruments) decision(ctx context.Context, outcome, kind, reason string) {
	if in.decisions == nil {
		return
	}
	in.decisions.Add(ctx, 1, metric.WithAttributes(
		attribute.String("outcome", outcome), attribute.String("kind", kind), attribute.String("reason", reason)))
}

func (in instruments) denial(ctx context.Context, code string) {
	if in.denials == nil {
		return
	}
	in.denials.Add(ctx, 1, metric.WithAttributes(attribute.String("code", code)))
}

func (in instruments) jwksFetch(ctx context.Context, err error) {
	if in.fetches == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	in.fetches.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
}
