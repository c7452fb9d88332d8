package auth

import (
	"context"
	"sync"

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
	attrs     *sync.Map // [6]string → []metric.AddOption: each attribute set is built once
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
	return instruments{decisions: decisions, denials: denials, fetches: fetches, attrs: &sync.Map{}}
}

// options returns the attribute options of up to three key/value pairs (k2, k3 empty: fewer), cached
// (the values come from small fixed sets) as a slice, so that passing them allocates nothing.
func (in instruments) options(k1, v1, k2, v2, k3, v3 string) []metric.AddOption {
	key := [6]string{k1, v1, k2, v2, k3, v3}
	if o, ok := in.attrs.Load(key); ok {
		return o.([]metric.AddOption)
	}
	kvs := []attribute.KeyValue{attribute.String(k1, v1)}
	if k2 != "" {
		kvs = append(kvs, attribute.String(k2, v2))
	}
	if k3 != "" {
		kvs = append(kvs, attribute.String(k3, v3))
	}
	o := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
	in.attrs.Store(key, o)
	return o
}

func (in instruments) decision(ctx context.Context, outcome, kind, reason string) {
	if in.decisions == nil {
		return
	}
	in.decisions.Add(ctx, 1, in.options("outcome", outcome, "kind", kind, "reason", reason)...)
}

func (in instruments) denial(ctx context.Context, code string) {
	if in.denials == nil {
		return
	}
	in.denials.Add(ctx, 1, in.options("code", code, "", "", "", "")...)
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
