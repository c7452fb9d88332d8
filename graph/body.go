package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// limitBody reads the request body up front, at most limit bytes, and answers 413 with a
// BAD_USER_INPUT error when it is larger, or 400 when it is not a GraphQL request object, before
// anything parses it. (gqlgen's POST transport would read it without a limit, answer a read error with
// 200 and echo an undecodable body back, Go type names included, in its error.)
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			writeGraphQLError(w, http.StatusBadRequest, errcode.New(errcode.BadUserInput, "the request body could not be read"))
			return
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
