package restkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// WriteJSON writes v as JSON with the given status and Content-Type application/json. v is encoded
// before anything is written, so an encoding failure still yields a clean 500 error body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types reach here; failing to encode one is a bug, not bad input.
		b = []byte(`{"error":{"code":"INTERNAL","message":"internal error"}}`)
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // A failed write means the client went away; nothing to do.
}

// DecodeJSON decodes the body of r into v strictly: the Content-Type must be application/json (415
// otherwise), the body at most maxBytes (413 otherwise), a single JSON value with no unknown fields
// (400 otherwise). The returned error, if any, is ready for WriteError.
func DecodeJSON(w http.ResponseWriter, r *http.Request, maxBytes int64, v any) *Error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
			Message: "Content-Type must be application/json"}
	}
	tooLarge := &Error{Status: http.StatusRequestEntityTooLarge, Code: CodePayloadTooLarge,
		Message: fmt.Sprintf("request body must be at most %d bytes", maxBytes)}
	if r.ContentLength > maxBytes {
		return tooLarge
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, tooLarge)
	}
	// Exactly one JSON value: anything but whitespace after it is an error.
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return InvalidArgument("", "request body must hold a single JSON object")
	default:
		return decodeError(err, tooLarge)
	}
}

// decodeError maps an encoding/json or body-reading error to an API error without echoing the body.
func decodeError(err error, tooLarge *Error) *Error {
	var (
		maxErr  *http.MaxBytesError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return tooLarge
	case errors.Is(err, io.EOF):
		return InvalidArgument("", "request body is empty")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return InvalidArgument("", "request body must be a JSON object")
		}
		return InvalidArgument(typeErr.Field, typeErr.Field+" has the wrong type")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = Truncate(strings.Trim(name, `"`))
		return InvalidArgument(name, "unknown field")
	}
	return InvalidArgument("", "request body is not valid JSON")
}
