package restkit

import (
	"fmt"
	"net/http"
	"unicode/utf8"
)

// Error codes of the error body, one per HTTP status the services answer with.
const (
	CodeInvalidArgument      = "INVALID_ARGUMENT"       // 400
	CodeNotFound             = "NOT_FOUND"              // 404
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"     // 405
	CodePayloadTooLarge      = "PAYLOAD_TOO_LARGE"      // 413
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE" // 415
	CodeInternal             = "INTERNAL"               // 500
)

// MaxEcho is the most bytes of client input an error message or field may repeat.
const MaxEcho = 100

// Error is an API error: the HTTP status plus the fields of the error body. It implements error so
// helpers can return it; WriteError turns it into a response.
type Error struct {
	// Status is the HTTP status code.
	Status int `json:"-"`
	// Code is one of the Code* constants.
	Code string `json:"code"`
	// Message is a short, user-facing explanation.
	Message string `json:"message"`
	// Field names the input field the error is about; empty (and omitted) when it is not about one.
	Field string `json:"field,omitempty"`
}

// Error returns "CODE: message (field)".
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// InvalidArgument returns a 400 INVALID_ARGUMENT error about field (empty for none).
func InvalidArgument(field, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidArgument, Message: message, Field: Truncate(field)}
}

// NotFound returns a 404 NOT_FOUND error.
func NotFound(message string) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: message}
}

// Internal returns a 500 INTERNAL error with a generic message; details belong in logs, not responses.
func Internal() *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error *Error `json:"error"`
}

// WriteError writes e as the error body with e.Status.
func WriteError(w http.ResponseWriter, e *Error) {
	WriteJSON(w, e.Status, errorBody{Error: e})
}

// Truncate returns s cut to at most MaxEcho bytes, on a UTF-8 boundary, so that messages never repeat
// much client input.
func Truncate(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	cut := MaxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
