package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/generated"
)

// seedQueries are the malicious documents and a few ordinary ones.
func seedQueries() []string {
	seeds := []string{"{ __typename }", "query A { a: __typename } query B { b: __typename }", "{", "", "mutation { __typename }",
		"{ topProducts { ...F } } fragment F on Product { upc }", "query($n: Int!) { topProducts(first: $n) { upc } }"}
	for _, m := range maliciousDocuments() {
		if len(m.query) < 4096 { // keep the corpus small; the fuzzer grows what it needs
			seeds = append(seeds, m.query)
		}
	}
	return seeds
}

// fixedMessage reports whether msg is one of decodeBody's and decodeQueryString's fixed messages:
// nothing of the request is echoed.
func fixedMessage(msg string) bool {
	_, rest, batched := strings.Cut(msg, "of the batch: ")
	if batched {
		msg = rest
	}
	switch msg {
	case "batched requests (a JSON array) are not enabled", "the request body is not valid JSON", "the batch holds no operation",
		"a batch holds at most 3 operations", "the request body is not a JSON object", "query must be a string",
		"operationName must be a string", "variables must be an object", "extensions must be an object", "documentId must be a string",
		"the URL's query string could not be decoded", "the URL parameter variables must be a JSON object",
		"the URL parameter extensions must be a JSON object", "the URL parameter (a parameter) is given more than once":
		return true
	}
	return strings.HasPrefix(msg, "the URL parameter ") && strings.HasSuffix(msg, " is given more than once") && len(msg) < 80
}

// FuzzDecodeBody: any body decodes or is refused with BAD_USER_INPUT and a fixed message.
func FuzzDecodeBody(f *testing.F) {
	for _, q := range seedQueries() {
		b, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"n": 1}})
		f.Add(b)
		f.Add([]byte("[" + string(b) + "," + string(b) + "]"))
	}
	for _, s := range []string{`[]`, `{"query":5}`, ``, `nul`, `{"extensions":null}`, `{"documentId":"x"}`, `[1]`, `{"variables":[]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, batch := range []BatchConfig{{}, {Enabled: true, MaxOperations: 3}} {
			var one [1]operation
			ops, _, err := decodeBody(body, batch, &one)
			if err != nil {
				if errcode.Code(err) != errcode.BadUserInput || !fixedMessage(err.Message) {
					t.Fatalf("decodeBody(%q) = %v %q", body, err.Extensions, err.Message)
				}
				continue
			}
			if len(ops) == 0 || len(ops) > max(1, batch.MaxOperations) {
				t.Fatalf("decodeBody(%q) gave %d operations", body, len(ops))
			}
		}
	})
}

// FuzzDecodeQueryString: any URL query string decodes or is refused with a fixed message.
func FuzzDecodeQueryString(f *testing.F) {
	for _, q := range seedQueries() {
		f.Add(url.Values{"query": {q}, "variables": {`{"n":1}`}}.Encode())
	}
	for _, s := range []string{"query=%zz", "variables=[1]", "query=a&query=b", "extensions=%7B%7D", "documentId=x", "variables={}x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := decodeQueryString(raw); err != nil && (errcode.Code(err) != errcode.BadUserInput || !fixedMessage(err.Message)) {
			t.Fatalf("decodeQueryString(%q) = %v %q", raw, err.Extensions, err.Message)
		}
	})
}

// FuzzGraphQLHandler sends fuzzed documents, over POST and GET, through the whole handler with the
// protections at small limits: never a panic, never a 5xx, always a JSON object with data or errors.
func FuzzGraphQLHandler(f *testing.F) {
	for _, q := range seedQueries() {
		f.Add(q, `{"n": 1}`, false)
		f.Add(q, ``, true)
	}
	cfg := Config{MaxTokens: 500, Limits: Limits{MaxDepth: 8, MaxAliases: 5, MaxRootFields: 5, MaxDirectives: 5},
		Batching: BatchConfig{Enabled: true, MaxOperations: 3}}
	h := NewHandler(cfg, Deps{Schema: generated.NewExecutableSchema(generated.Config{})})
	f.Fuzz(func(t *testing.T, query, variables string, get bool) {
		var req *http.Request
		if get {
			v := url.Values{"query": {query}}
			if variables != "" {
				v.Set("variables", variables)
			}
			req = httptest.NewRequest(http.MethodGet, "/graphql?"+v.Encode(), nil)
			req.Header.Set("GraphQL-Preflight", "1")
		} else {
			body := `{"query":` + jsonString(query)
			if variables != "" {
				body += `,"variables":` + variables
			}
			req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body+"}"))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/graphql-response+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q / %q: %s", rec.Code, query, variables, rec.Body)
		}
		var resp map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("response is not a JSON object: %v: %s", err, rec.Body)
		}
		if _, ok := resp["data"]; !ok && resp["errors"] == nil {
			t.Fatalf("response has neither data nor errors: %s", rec.Body)
		}
	})
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSpace(b.String())
}

var fuzzSchema = sync.OnceValue(func() *ast.Schema { return generated.NewExecutableSchema(generated.Config{}).Schema() })

// FuzzLimits measures every document that parses, valid or not (the limits run before validation):
// the walk ends, never panics, and its counts are within bounds.
func FuzzLimits(f *testing.F) {
	for _, q := range seedQueries() {
		f.Add(q)
	}
	f.Add(exponentialFragments(30))
	f.Add("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A x: __typename @a }")
	f.Fuzz(func(t *testing.T, query string) {
		doc, err := parser.ParseQuery(&ast.Source{Input: query})
		if err != nil {
			return
		}
		_ = checkLimits(doc, Limits{}.withDefaults())
		for _, op := range doc.Operations {
			w := walker{frags: doc.Fragments, memo: map[string]*shape{}}
			s := w.selectionSet(op.SelectionSet)
			for _, n := range []int{s.depth, s.aliases, s.directives, s.fields, s.selections} {
				if n < 0 || n > countCap {
					t.Fatalf("count %d out of bounds for %q", n, query)
				}
			}
		}
	})
}

// FuzzDecodeOperationOnePass: where the one-pass decoding accepts a body, the member-by-member
// decoding accepts it too and decodes the same operation (repeated members, nulls, numbers).
func FuzzDecodeOperationOnePass(f *testing.F) {
	for _, s := range []string{
		`{"query":"{a}","variables":{"n":1.50,"m":[1,{"x":null}]}}`,
		`{"query":"a","query":null}`, `{"query":null,"query":"b"}`,
		`{"variables":{"a":1},"variables":{"b":2}}`, `{"variables":{"a":1},"variables":null}`,
		`{"Query":"x","VARIABLES":{}}`, `{"query":"a"} `, `{"query":"a"}{}`, `{"extensions":{"persistedQuery":{"version":1}}}`,
		`{"operationName":5}`, `{"documentId":"d","other":[1,2]}`, "{\"query\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := decodeTyped(body)
		if !ok {
			return
		}
		slow, err := decodeMembers(body)
		if err != nil {
			t.Fatalf("one pass accepted %q, member by member refused it: %s", body, err.Message)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: one pass %#v, member by member %#v", body, fast, slow)
		}
	})
}

// FuzzScanOperation: where the scanner decodes a body itself, the one-pass decoding accepts it too and
// decodes the same operation.
func FuzzScanOperation(f *testing.F) {
	for _, s := range []string{
		`{"query":"{a}","variables":{"n":1.50,"m":[1,{"x":null}],"e":-0.5e+3,"t":true,"f":false}}`,
		`{"query":"a","query":null}`, `{"query":null,"query":"b"}`, `{}`, ` {"query":"x"} `,
		`{"variables":{"a":1},"variables":{"b":2}}`, `{"variables":{"a":1},"variables":null}`,
		`{"Query":"x","VARIABLES":{}}`, `{"query":"a"}{}`, `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}`,
		`{"operationName":5}`, `{"documentId":"d","other":[1,2,{"q":[]}]}`, "{\"query\":\"\xff\"}",
		`{"query":"query Q {\n  a\t\"b\" \\ \/ }"}`, `{"query":"\u00e9"}`, `{"query":"é ü"}`, `{"variables":{"n":01}}`,
		`{"variables":{"n":1.}}`, `{"variables":{"n":-}}`, `{"variables":{"a":{"b":{"c":{"d":[[[[1]]]]}}}}}`,
		// Keys encoding/json matches by Unicode folding or after unescaping, a byte order mark, a UTF-8
		// surrogate, repeated nested keys, escapes in keys, white space JSON does not allow, big numbers.
		"{\"variable\u017f\":{\"a\":1}}", "{\"extension\u017f\":{}}", `{"qu\u0065ry":"x"}`,
		"\xef\xbb\xbf{\"query\":\"x\"}", "{\"query\":\"\xed\xa0\x80\"}", `{"variables":{"a":1,"a":{"b":2}}}`,
		`{"variables":{"\"":1,"\n":2}}`, `{"que\ry":"x"}`, "{\"query\":\"x\"\v}", "{\"query\":\"x\"}\x00",
		`{"variables":{"n":1e400,"m":-0,"k":12345678901234567890}}`, `{"query":"x\"}`, "{\"query\":\"\\\xc3\xa9\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		scanned, ok := scanOperation(body)
		if !ok {
			return
		}
		typed, ok := decodeTyped(body)
		if !ok {
			t.Fatalf("the scanner accepted %q, the one-pass decoding refused it", body)
		}
		if !reflect.DeepEqual(scanned, typed) {
			t.Fatalf("%q: scanned %#v, one pass %#v", body, scanned, typed)
		}
	})
}
