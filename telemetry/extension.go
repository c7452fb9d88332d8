package telemetry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/trellisgw/trellis/graph/identity"
)

// operationExtension makes the operation span and tells the middleware the operation's name, type and
// outcome; it adds the fan-out plan to responses that asked for it.
type operationExtension struct{ t *Telemetry }

// Interface guards.
var (
	_ graphql.HandlerExtension     = (*operationExtension)(nil)
	_ graphql.OperationInterceptor = (*operationExtension)(nil)
	_ graphql.ResponseInterceptor  = (*operationExtension)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (e *operationExtension) ExtensionName() string { return "TrellisTelemetry" }

// Validate implements graphql.HandlerExtension.
func (e *operationExtension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation starts the operation span; it ends when the response is complete.
func (e *operationExtension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	name, opType := operationOf(oc)
	if req := requestFrom(ctx); req != nil {
		req.mu.Lock()
		req.operation, req.opType = name, opType
		if c := identity.FromContext(ctx); c != nil {
			req.clientID, req.userID, req.kind = c.ClientID, c.UserID, string(c.Kind)
		}
		if app := identity.AppFromContext(ctx); app != nil {
			req.appName, req.appVersion = app.Name, app.Version
		}
		req.mu.Unlock()
	}
	ctx, span := e.t.tracer.Start(ctx, "GraphQL Operation") // renamed below when recorded
	if span.IsRecording() {
		if opType != "" {
			spanName := opType // "query Reference", as OpenTelemetry's GraphQL conventions name it
			if name != "" {
				spanName += " " + name
			}
			span.SetName(spanName)
		}
		span.SetAttributes(
			attribute.String("graphql.operation.name", name),
			attribute.String("graphql.operation.type", opType),
			attribute.String("graphql.document.hash", DocumentHash(oc.RawQuery)),
		)
	}
	respond := next(ctx)
	ended := false
	return func(ctx context.Context) *graphql.Response {
		resp := respond(ctx)
		if !ended { // queries and mutations have one response; the span covers it
			ended = true
			if resp != nil && len(resp.Errors) > 0 {
				span.SetStatus(codes.Error, resp.Errors[0].Message)
				span.SetAttributes(attribute.Int("graphql.errors", len(resp.Errors)))
			}
			span.End()
		}
		return resp
	}
}

// InterceptResponse records the outcome and adds the fan-out plan. It runs for every response,
// parse and validation failures included.
func (e *operationExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	req := requestFrom(ctx)
	if req == nil || resp == nil {
		return resp
	}
	outcome := OutcomeSuccess
	if len(resp.Errors) > 0 {
		outcome = OutcomePartial
		if !hasData(resp.Data) {
			outcome = OutcomeError
		}
	}
	req.mu.Lock()
	req.outcome = outcome
	if c, ok := costOf(resp); ok && req.cost < 0 {
		req.cost = c
	}
	req.mu.Unlock()
	switch {
	case req.refused:
		addExtension(resp, "traceError", map[string]string{
			"code":    "FORBIDDEN",
			"message": "the fan-out plan (" + TraceHeader + ") is not served in production mode",
		})
	case req.wantPlan:
		addExtension(resp, "trace", plan(req.calls))
	}
	return resp
}

// costReport is extensions.cost as the cost analysis (graph/cost's Report) makes it.
type costReport interface{ ActualQueryCost() int }

// costOf reads the actual query cost the cost analysis put in extensions.cost, if any.
func costOf(resp *graphql.Response) (int64, bool) {
	c, ok := resp.Extensions["cost"].(costReport)
	if !ok {
		return 0, false
	}
	n := int64(c.ActualQueryCost())
	if n < 0 {
		return 0, false
	}
	return n, true
}

func addExtension(resp *graphql.Response, key string, v any) {
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions[key] = v
}

// hasData reports whether a response's data is present and not null.
func hasData(data json.RawMessage) bool {
	return len(data) > 0 && string(data) != "null"
}

// operationOf returns the operation's name ("" for an anonymous one) and type.
func operationOf(oc *graphql.OperationContext) (name, opType string) {
	if oc == nil || oc.Operation == nil {
		return "", ""
	}
	return oc.Operation.Name, string(oc.Operation.Operation)
}

// DocumentHash returns the hash by which a document is known in traces: "sha256:" and the hex SHA-256
// of its text, the same form persisted queries use.
func DocumentHash(query string) string {
	sum := sha256.Sum256([]byte(query))
	return "sha256:" + hex.EncodeToString(sum[:])
}
