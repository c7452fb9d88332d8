package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// operation is one GraphQL request of an HTTP request, as the client sent it.
type operation struct {
	Query         string
	OperationName string
	Variables     map[string]any
	Extensions    map[string]any
	// DocumentID names a persisted document (the `documentId` member of the GraphQL-over-HTTP
	// persisted documents proposal, which graphql-codegen's client preset sends).
	DocumentID string
	// oc is the operation's context once created (validated), for its response's Cache-Control.
	oc *graphql.OperationContext
}

// requestParams is the shape of a GraphQL-over-HTTP request body, each member kept raw to check its type.
type requestParams struct {
	Query         json.RawMessage `json:"query"`
	OperationName json.RawMessage `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
	DocumentID    json.RawMessage `json:"documentId"`
}

// decodeBody decodes a POST body: one request object, or, when batching is enabled, a JSON array of
// at most batch.MaxOperations of them. One operation is decoded into *one, and ops is one[:] (no
// slice of its own). Every failure is a BAD_USER_INPUT error with a fixed message: nothing of the
// body is echoed back.
func decodeBody(body []byte, batch BatchConfig, one *[1]operation) (ops []operation, batched bool, err *gqlerror.Error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if !batch.Enabled {
			return nil, true, badInput("batched requests (a JSON array) are not enabled")
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, true, badInput("the request body is not valid JSON")
		}
		if len(raws) == 0 {
			return nil, true, badInput("the batch holds no operation")
		}
		if len(raws) > batch.MaxOperations {
			return nil, true, badInput(fmt.Sprintf("a batch holds at most %d operations", batch.MaxOperations))
		}
		ops = make([]operation, len(raws))
		for i, raw := range raws {
			if ops[i], err = decodeOperation(raw); err != nil {
				err.Message = fmt.Sprintf("operation %d of the batch: %s", i, err.Message)
				return nil, true, err
			}
		}
		return ops, true, nil
	}
	if one[0], err = decodeOperation(body); err != nil {
		return nil, false, err
	}
	return one[:], false, nil
}

// decodeOperation decodes one request object whose known members must have the right types (query,
// operationName and documentId strings, variables and extensions objects, each possibly null or
// absent).
func decodeOperation(body []byte) (operation, *gqlerror.Error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return operation{}, badInput("the request body is not a JSON object")
	}
	if op, ok := scanOperation(body); ok {
		return op, nil
	}
	if op, ok := decodeTyped(body); ok {
		return op, nil
	}
	// Something is wrong with the body: decode it member by member, for the error naming the first
	// member (in the order below) of the wrong type.
	return decodeMembers(body)
}

// decodeMembers is decodeOperation member by member, each kept raw first to check its type.
func decodeMembers(body []byte) (operation, *gqlerror.Error) {
	var p requestParams
	if err := json.Unmarshal(body, &p); err != nil {
		return operation{}, badInput("the request body is not valid JSON")
	}
	var op operation
	for _, m := range []struct {
		name string
		raw  json.RawMessage
		into any
		kind string
	}{
		{"query", p.Query, &op.Query, "a string"},
		{"operationName", p.OperationName, &op.OperationName, "a string"},
		{"variables", p.Variables, &op.Variables, "an object"},
		{"extensions", p.Extensions, &op.Extensions, "an object"},
		{"documentId", p.DocumentID, &op.DocumentID, "a string"},
	} {
		if len(m.raw) == 0 || string(m.raw) == "null" {
			continue
		}
		if msg := decodeMember(m.raw, m.into); msg != "" {
			return operation{}, badInput(m.name + " must be " + m.kind)
		}
	}
	return op, nil
}

// anyParams is requestParams decoded in one pass: each member as any (numbers kept as json.Number), so
// that a repeated member's last value replaces the others', null included, as with requestParams.
type anyParams struct {
	Query         any `json:"query"`
	OperationName any `json:"operationName"`
	Variables     any `json:"variables"`
	Extensions    any `json:"extensions"`
	DocumentID    any `json:"documentId"`
}

// decodeTyped decodes a well-formed request object in one pass; ok is false when body is not valid
// JSON, has trailing data or a member of the wrong type, and decodeOperation then finds which error
// to answer. Its result is the member-by-member decoding's (FuzzDecodeOperationOnePass).
func decodeTyped(body []byte) (op operation, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var p anyParams
	if err := dec.Decode(&p); err != nil {
		return operation{}, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return operation{}, false
	}
	var okQ, okN, okV, okE, okD bool
	op.Query, okQ = stringMember(p.Query)
	op.OperationName, okN = stringMember(p.OperationName)
	op.Variables, okV = objectMember(p.Variables)
	op.Extensions, okE = objectMember(p.Extensions)
	op.DocumentID, okD = stringMember(p.DocumentID)
	return op, okQ && okN && okV && okE && okD
}

// stringMember is v when it is a string or absent (nil).
func stringMember(v any) (string, bool) {
	if v == nil {
		return "", true
	}
	s, ok := v.(string)
	return s, ok
}

// objectMember is v when it is an object or absent (nil).
func objectMember(v any) (map[string]any, bool) {
	if v == nil {
		return nil, true
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// decodeMember decodes raw into v (numbers kept as json.Number, as gqlgen's coercion expects), or
// returns a non-empty string when raw is not of v's type.
func decodeMember(raw json.RawMessage, v any) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return "wrong type"
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "trailing data"
	}
	return ""
}

// decodeQueryString decodes the parameters of a GET request: query, operationName, documentId, and
// variables and extensions as JSON-encoded objects.
func decodeQueryString(raw string) (operation, *gqlerror.Error) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return operation{}, badInput("the URL's query string could not be decoded")
	}
	for name, vs := range values {
		if len(vs) > 1 {
			return operation{}, badInput("the URL parameter " + safeName(name) + " is given more than once")
		}
	}
	op := operation{
		Query:         values.Get("query"),
		OperationName: values.Get("operationName"),
		DocumentID:    values.Get("documentId"),
	}
	for _, m := range []struct {
		name string
		into *map[string]any
	}{{"variables", &op.Variables}, {"extensions", &op.Extensions}} {
		s := values.Get(m.name)
		if s == "" || s == "null" {
			continue
		}
		if msg := decodeMember(json.RawMessage(s), m.into); msg != "" {
			return operation{}, badInput("the URL parameter " + m.name + " must be a JSON object")
		}
	}
	return op, nil
}

// safeName returns name when it is a plain parameter name, else a placeholder: nothing the client
// sent is echoed unless it is harmless.
func safeName(name string) string {
	if name == "" || len(name) > 32 {
		return "(a parameter)"
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return "(a parameter)"
		}
	}
	return name
}

// readBody reads at most limit bytes of r; tooLarge is true when the body is longer. size is the
// body's declared length (Content-Length; -1 unknown): the buffer is made that large at once, where
// io.ReadAll would start at 512 bytes and grow (a small query's body is about 100).
func readBody(r io.Reader, size, limit int64) (body []byte, tooLarge bool, err error) {
	if r == nil {
		return nil, false, nil
	}
	if size < 0 || size > limit {
		body, err = io.ReadAll(io.LimitReader(r, limit+1))
	} else {
		// One byte more than declared, so that reading to EOF needs no second buffer; a body longer
		// than declared grows it, up to a byte over the limit.
		body = make([]byte, 0, size+1)
		for int64(len(body)) <= limit {
			if len(body) == cap(body) {
				body = append(body, 0)[:len(body)]
			}
			n, rerr := r.Read(body[len(body):min(int64(cap(body)), limit+1)])
			body = body[:len(body)+n]
			if rerr != nil {
				if rerr != io.EOF {
					err = rerr
				}
				break
			}
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("read body: %w", err)
	}
	return body, int64(len(body)) > limit, nil
}

func badInput(msg string) *gqlerror.Error { return errcode.New(errcode.BadUserInput, msg) }
