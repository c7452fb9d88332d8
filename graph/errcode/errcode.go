// Package errcode names the stable `extensions.code` values of the gateway's GraphQL errors
// (DESIGN.md §3) and builds errors that carry them.
package errcode

import "github.com/vektah/gqlparser/v2/gqlerror"

// The error codes clients may rely on.
const (
	ParseFailed       = "GRAPHQL_PARSE_FAILED"
	ValidationFailed  = "GRAPHQL_VALIDATION_FAILED"
	BadUserInput      = "BAD_USER_INPUT"
	Unauthenticated   = "UNAUTHENTICATED"
	Forbidden         = "FORBIDDEN"
	CostLimitExceeded = "COST_LIMIT_EXCEEDED"
	RateLimited       = "RATE_LIMITED"
	PersistedNotFound = "PERSISTED_QUERY_NOT_FOUND"
	// PersistedNotSupported: the request names a persisted query and the gateway has none enabled.
	PersistedNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED"
	// PersistedNotInList: trusted documents are enforced and the operation is not in the manifest.
	PersistedNotInList  = "PERSISTED_QUERY_NOT_IN_LIST"
	UpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	UpstreamTimeout     = "UPSTREAM_TIMEOUT"
	UpstreamError       = "UPSTREAM_ERROR"
	Internal            = "INTERNAL_SERVER_ERROR"
	// ServerOverloaded: the request waited for a free slot (server.max_concurrent_operations) until its
	// deadline passed, and did not run. HTTP 503 with Retry-After; safe to retry.
	ServerOverloaded = "SERVER_OVERLOADED"
	// RequestTimeout: the request's deadline (server.request_timeout) passed before its operation ran
	// (in a slow middleware, after a long wait at the admission gate, or before its body was read).
	// HTTP 504.
	RequestTimeout = "REQUEST_TIMEOUT"
	// RequestCanceled: the client gave up (closed the connection) before the answer was ready. Nobody
	// reads it; it names the outcome in logs, metrics and traces, apart from upstream failures.
	RequestCanceled = "REQUEST_CANCELED"
)

// New returns a GraphQL error with message and extensions.code set to code. The message is shown to
// clients as is: never put internal details in it.
func New(code, message string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": code}}
}

// BadInput returns a BAD_USER_INPUT error about the named argument or input field.
func BadInput(field, message string) *gqlerror.Error {
	e := New(BadUserInput, message)
	if field != "" {
		e.Extensions["field"] = field
	}
	return e
}

// Code returns the extensions.code of err, or "" when it has none.
func Code(err *gqlerror.Error) string {
	c, _ := err.Extensions["code"].(string)
	return c
}

// HTTPStatus returns the HTTP status of a response that failed as a whole with code, before or
// instead of execution (no data), or 0 when the response's media type decides (GraphQL over HTTP:
// 200 for application/json, 4xx for application/graphql-response+json). Codes clients act on at the
// HTTP level get their status whatever the media type.
func HTTPStatus(code string) int {
	switch code {
	case Unauthenticated:
		return 401
	case Forbidden:
		return 403
	case RateLimited:
		return 429
	case Internal:
		return 500
	case ServerOverloaded:
		return 503
	case RequestTimeout:
		return 504
	}
	return 0
}
