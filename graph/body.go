package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// limitBody checks a POST request before anything parses it: its Content-Type must be
// application/json (else 415), its body at most limit bytes (else 413), and the body a GraphQL request
// object (else 400), each refused with BAD_USER_INPUT and a fixed message. (gqlgen's POST transport
// would read the body without a limit, answer a read error with 200 and echo an undecodable body back,
// Go type names included, in its error.) Other methods pass through untouched.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeGraphQLError(w, http.StatusUnsupportedMediaType,
				errcode.New(errcode.BadUserInput, "the Content-Type of a POST request must be application/json"))
			return
		}
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		var body []byte
		if r.Body != nil {
			var err error
			if body, err = io.ReadAll(io.LimitReader(r.Body, limit+1)); err != nil {
				writeGraphQLError(w, http.StatusBadRequest, errcode.New(errcode.BadUserInput, "the request body could not be read"))
				return
			}
		}
		if int64(len(body)) > limit {
			tooLarge(w, limit)
			return
		}
		if msg := checkParams(body); msg != "" {
			// Refused here so that the client gets a code, and none of its body echoed back.
			writeGraphQLError(w, http.StatusBadRequest, errcode.New(errcode.BadUserInput, msg))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close") // the rest of the body is not read
	writeGraphQLError(w, http.StatusRequestEntityTooLarge,
		errcode.New(errcode.BadUserInput, fmt.Sprintf("the request body is larger than %d bytes", limit)))
}

// writeGraphQLError answers with a GraphQL response holding only err.
func writeGraphQLError(w http.ResponseWriter, status int, err *gqlerror.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": gqlerror.List{err}})
}

// requestParams is the shape of a GraphQL-over-HTTP request body, each member kept raw to check its type.
type requestParams struct {
	Query         json.RawMessage `json:"query"`
	OperationName json.RawMessage `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

// checkParams returns what is wrong with a request body, for the client, or "" when it is a JSON
// object whose known members have the right types (query and operationName strings, variables and
// extensions objects, each of them possibly null or absent).
func checkParams(body []byte) string {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return "batched requests (a JSON array) are not enabled"
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "the request body is not a JSON object"
	}
	var p requestParams
	if err := json.Unmarshal(body, &p); err != nil {
		return "the request body is not valid JSON"
	}
	for _, m := range []struct {
		name  string
		raw   json.RawMessage
		first byte
		kind  string
	}{
		{"query", p.Query, '"', "a string"},
		{"operationName", p.OperationName, '"', "a string"},
		{"variables", p.Variables, '{', "an object"},
		{"extensions", p.Extensions, '{', "an object"},
	} {
		if len(m.raw) > 0 && m.raw[0] != m.first && string(m.raw) != "null" {
			return m.name + " must be " + m.kind
		}
	}
	return ""
}
