// Package upstreamerr classifies failed upstream calls into the stable error codes clients see
// (UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT, UPSTREAM_ERROR, BAD_USER_INPUT) while keeping the details
// (addresses, status lines, bodies) for logs only.
package upstreamerr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// Code is the stable, client-visible classification of an upstream failure.
type Code string

// The codes of DESIGN.md §3 that upstream failures map to.
const (
	// Unavailable: the upstream could not be reached or said it is unavailable.
	Unavailable Code = "UPSTREAM_UNAVAILABLE"
	// Timeout: the call ran past its deadline.
	Timeout Code = "UPSTREAM_TIMEOUT"
	// Failed: the upstream answered with an error that is not the caller's fault.
	Failed Code = "UPSTREAM_ERROR"
	// BadInput: the upstream refused the caller's input; Message says why and may be shown.
	BadInput Code = "BAD_USER_INPUT"
	// NotFound: the upstream does not know the requested object. Typed clients usually turn it into a
	// missing result rather than an error.
	NotFound Code = "NOT_FOUND"
	// Canceled: the caller gave up (its context was cancelled, e.g. the client closed the connection)
	// before the upstream answered. It says nothing about the upstream: no breaker, outlier or retry
	// input, not an upstream error in metrics or logs.
	Canceled Code = "REQUEST_CANCELED"
)

// Error is a failed upstream call. Error() carries every detail for logs; only Code and, for BadInput,
// Message and Field are meant for clients.
type Error struct {
	// Upstream names the service, e.g. "accounts".
	Upstream string
	// Op names the call, e.g. "GET /users" or "/trellis.orders.v1.OrderService/PlaceOrder".
	Op string
	// Code classifies the failure.
	Code Code
	// Message is a short, user-facing explanation; set only for BadInput.
	Message string
	// Field names the offending input field when the upstream said which one.
	Field string
	// Err is the underlying cause (transport error, status, decoded body). Never shown to clients.
	Err error
	// RetryAfter is how long the upstream asked callers to wait before trying again (HTTP
	// Retry-After); 0 when it did not say.
	RetryAfter time.Duration

	// logged is set by the first FirstReport: one failed batch call reaches every field that waited on
	// it, and is logged once.
	logged atomic.Bool
}

// FirstReport reports whether this is the first time e is reported (true exactly once), so that a
// failure shared by many fields is logged once with its details.
func (e *Error) FirstReport() bool { return e.logged.CompareAndSwap(false, true) }

// Error implements error with the full detail, for logs.
func (e *Error) Error() string {
	msg := fmt.Sprintf("upstream %s %s: %s", e.Upstream, e.Op, e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the Code of the first *Error in err's chain, or "" when there is none. It does not
// allocate (errors.As would move its target to the heap on every call, a nil err included): every
// attempt's end asks it.
func CodeOf(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return ""
}

// Classify maps a transport-level failure (no answer from the upstream) to Timeout, Canceled or
// Unavailable. ctx is the caller's context: a call that failed because the caller gave up is a Timeout
// when its deadline passed and Canceled when it was cancelled.
func Classify(ctx context.Context, err error) Code {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return Timeout
	case errors.Is(ctx.Err(), context.Canceled):
		return Canceled
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return Unavailable
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return Timeout
	}
	return Unavailable
}

// UserMessage returns an upstream's validation message when it is fit to show a client (short,
// printable text) and "invalid input" otherwise, so that no upstream internals, nor long echoes of the
// client's own input, leak through BAD_USER_INPUT.
func UserMessage(m string) string {
	const fallback = "invalid input"
	if m == "" || len(m) > 200 {
		return fallback
	}
	for _, r := range m {
		if r < 0x20 || r == 0x7f {
			return fallback
		}
	}
	return m
}
