package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/internal/bufpool"
)

// The response media types of GraphQL over HTTP.
const (
	mediaGraphQLResponse = "application/graphql-response+json"
	mediaJSON            = "application/json"
)

// negotiate picks the response media type from an Accept header: the acceptable one with the highest
// q, application/graphql-response+json on a tie. No Accept header, or only wildcards, means
// application/json (what legacy clients expect). It returns "" when neither is acceptable. The
// values clients send most are answered without parsing.
func negotiate(accept string) string {
	switch accept {
	case "", "*/*", mediaJSON:
		return mediaJSON
	case mediaGraphQLResponse, mediaGraphQLResponse + ", " + mediaJSON, mediaGraphQLResponse + ", " + mediaJSON + ";q=0.9":
		return mediaGraphQLResponse
	}
	return parseAccept(accept)
}

// parseAccept is negotiate for any Accept header.
func parseAccept(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON
	}
	var bestType string
	bestQ, bestExact := -1.0, false
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		if q == 0 {
			continue
		}
		var typ string
		exact := true
		switch mt {
		case mediaGraphQLResponse, mediaJSON:
			typ = mt
		case "*/*", "application/*":
			typ, exact = mediaJSON, false
		default:
			continue
		}
		better := q > bestQ ||
			(q == bestQ && exact && !bestExact) ||
			(q == bestQ && exact == bestExact && typ == mediaGraphQLResponse)
		if better {
			bestType, bestQ, bestExact = typ, q, exact
		}
	}
	return bestType
}

// mediaType is the media type of a Content-Type header, lower-case and without parameters, as
// mime.ParseMediaType gives it; application/json, as clients send it, is answered without parsing.
func mediaType(contentType string) (string, error) {
	if contentType == mediaJSON {
		return mediaJSON, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("content type %q: %w", contentType, err)
	}
	return mt, nil
}

// requestStatus is the HTTP status of a response that failed before execution (no data): the code's
// own status when it has one (401, 403, 429, 500), else 400 for application/graphql-response+json and
// 200 for application/json, as GraphQL over HTTP says.
func requestStatus(media string, errs gqlerror.List) int {
	for _, e := range errs {
		if s := errcode.HTTPStatus(errcode.Code(e)); s != 0 {
			return s
		}
	}
	if media == mediaGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// setContentType sets the response's Content-Type to media.
func setContentType(w http.ResponseWriter, media string) {
	w.Header().Set("Content-Type", media+"; charset=utf-8")
}

// writeResponse writes resp as JSON to w. The data, already encoded by the executor, is written as it
// is, straight to w: it is neither decoded, compacted nor copied again. The members around it are
// built in a buffer of bufs (nil: allocated).
func writeResponse(w io.Writer, resp *graphql.Response, bufs *bufpool.Pool) {
	head := bufs.Get(256)
	head = append(head, '{')
	sep := false
	if len(resp.Errors) > 0 {
		head = append(head, `"errors":`...)
		head = appendJSON(head, resp.Errors)
		sep = true
	}
	if resp.Data != nil {
		if sep {
			head = append(head, ',')
		}
		head = append(head, `"data":`...)
		_, _ = w.Write(head)
		_, _ = w.Write(resp.Data)
		head = head[:0]
		sep = true
	}
	if len(resp.Extensions) > 0 {
		if sep {
			head = append(head, ',')
		}
		head = append(head, `"extensions":`...)
		head = appendExtensions(head, resp.Extensions)
	}
	head = append(head, '}')
	_, _ = w.Write(head)
	bufs.Put(head)
}

// appendJSON appends v's JSON encoding; a value that cannot be encoded (never the case for the errors
// and extensions the gateway builds) is written as null rather than breaking the response.
func appendJSON(b []byte, v any) []byte {
	enc, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, enc...)
}

// JSONAppender is a response extension value that writes its own JSON, byte for byte what json.Marshal
// makes of it (graph/cost's extensions.cost), so that the response is written without reflection.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

// appendExtensions appends m's JSON encoding, byte for byte what json.Marshal makes of it (keys
// sorted), without its reflection for the values the extensions hold on every response: nested
// objects, integers, booleans, nulls and JSONAppenders; any other value, and a key that would need
// escaping, is encoded by json.Marshal.
func appendExtensions(b []byte, m map[string]any) []byte {
	var arr [8]string
	keys := arr[:0]
	for k := range m {
		if !plainKey(k) {
			return appendJSON(b, m)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		switch v := m[k].(type) {
		case map[string]any:
			if v == nil {
				b = append(b, "null"...)
			} else {
				b = appendExtensions(b, v)
			}
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case bool:
			b = strconv.AppendBool(b, v)
		case nil:
			b = append(b, "null"...)
		case JSONAppender:
			b = v.AppendJSON(b)
		default:
			b = appendJSON(b, v)
		}
	}
	return append(b, '}')
}

// plainKey reports whether json.Marshal writes k between quotes as it is: printable ASCII, none of
// the characters it escapes.
func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c < 0x20, c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// writeError answers a request refused before execution with status and err, in media.
func writeError(w http.ResponseWriter, media string, status int, err *gqlerror.Error) {
	if media == "" {
		media = mediaJSON
	}
	setContentType(w, media)
	w.WriteHeader(status)
	writeResponse(w, &graphql.Response{Errors: gqlerror.List{err}}, nil)
}
