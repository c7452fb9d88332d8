// Package telemetry is the gateway's request instrumentation, written against the OpenTelemetry API
// only (cmd/gateway installs the SDK and its exporters):
//
//   - an HTTP middleware for /graphql: the request id (package requestid: X-Request-Id, generated or honoured), the server
//     span, requests in flight, a calltrace.Recorder per request, and when the response is written
//     the request metrics, the per-operation analytics and one access log line;
//   - a gqlgen extension: the operation span (graphql.operation.name, .type, graphql.document.hash),
//     the operation's name, type and outcome for the middleware, and the fan-out plan
//     (extensions.trace) for developers who send X-Trellis-Trace: 1;
//   - opt-in per-field spans (telemetry.traces.field_spans), a second extension;
//   - a log/slog handler that adds request_id and trace_id to every line logged with a request's context;
//   - the per-operation analytics endpoint GET /admin/operations.
//
// Operation names become metric labels only through a bounded set (see Names): the first
// telemetry.metrics.max_operation_names distinct names are kept, later ones fold into "other", and a
// request without a known operation counts as "unknown".
package telemetry
