package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/gateway"
)

// rawRequest is one HTTP request to /graphql, built by hand.
type rawRequest struct {
	method  string
	body    []byte
	query   url.Values // GET parameters
	headers map[string]string
}

// do sends r and returns the status and the decoded first error's code ("" when none).
func (e *env) do(t *testing.T, r rawRequest) (status int, code string, raw []byte) {
	t.Helper()
	target := e.server.URL + "/graphql"
	if r.query != nil {
		target += "?" + r.query.Encode()
	}
	req, err := http.NewRequest(r.method, target, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp, err := e.server.Client().Do(req)
	if err != nil {
		t.Fatalf("%s /graphql: %v", r.method, err)
	}
	defer resp.Body.Close()
	raw, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err == nil && len(out.Errors) > 0 {
		code, _ = out.Errors[0].Extensions["code"].(string)
	}
	return resp.StatusCode, code, raw
}

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMaliciousRequestsReachNoUpstream sends each attack of the issue through the whole gateway: each
// is refused with its status and code, and the sample services serve no call at all.
func TestMaliciousRequestsReachNoUpstream(t *testing.T) {
	batchOn := func(c *gateway.Config) { c.Server.Batching.Enabled = true }
	e := newEnv(t)
	eBatch := newEnv(t, batchOn)
	post := map[string]string{"Content-Type": "application/json", "Accept": "application/graphql-response+json"}
	postQuery := func(q string) rawRequest {
		return rawRequest{method: http.MethodPost, body: jsonBody(t, map[string]string{"query": q}), headers: post}
	}
	var aliases, directives strings.Builder
	for i := range 101 {
		fmt.Fprintf(&aliases, "a%d: name ", i)
	}
	for range 51 {
		directives.WriteString("name @include(if: true) ")
	}
	deep := "{ topProducts { " + strings.Repeat("reviews { product { ", 24) + "upc" + strings.Repeat(" } }", 24) + " } }"
	hundred := make([]map[string]string, 100)
	for i := range hundred {
		hundred[i] = map[string]string{"query": "{ topProducts { name } }"}
	}
	mutation := fmt.Sprintf(`mutation { placeOrder(input: {items: [{productUpc: %q, quantity: 1}]}) { order { id } } }`, e.index.Set.Top[0])

	tests := []struct {
		name       string
		env        *env
		req        rawRequest
		wantStatus int
		wantCode   string
	}{
		{"101 aliases", e, postQuery("{ topProducts { " + aliases.String() + "} }"), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"depth 50", e, postQuery(deep), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"10 000 tokens", e, postQuery("{ topProducts { " + strings.Repeat("name ", 10000) + "} }"), 400, "GRAPHQL_PARSE_FAILED"},
		{"a directive repeated 50 times", e, postQuery("{ topProducts " + strings.Repeat("@include(if: true) ", 50) + "{ name } }"), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"51 directives", e, postQuery("{ topProducts { " + directives.String() + "} }"), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"circular fragments", e, postQuery("{ topProducts { ...A } } fragment A on Product { reviews { product { ...B } } } fragment B on Product { ...A }"),
			400, "GRAPHQL_VALIDATION_FAILED"},
		{"2 MiB body", e, rawRequest{method: http.MethodPost, headers: post,
			body: jsonBody(t, map[string]string{"query": "{ topProducts { name } }", "pad": strings.Repeat("x", 2<<20)})}, 413, "BAD_USER_INPUT"},
		{"form-urlencoded POST", e, rawRequest{method: http.MethodPost, body: []byte("query=" + url.QueryEscape("{ topProducts { name } }")),
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 400, "BAD_USER_INPUT"},
		{"GET mutation", e, rawRequest{method: http.MethodGet, query: url.Values{"query": {mutation}},
			headers: map[string]string{"GraphQL-Preflight": "1", "Authorization": "Bearer " + token(t, e.index.Set.Users[0].ID)}}, 405, "BAD_USER_INPUT"},
		{"GET without a preflight header", e, rawRequest{method: http.MethodGet, query: url.Values{"query": {"{ topProducts { name } }"}}}, 400, "BAD_USER_INPUT"},
		{"100 operations, batching off", e, rawRequest{method: http.MethodPost, body: jsonBody(t, hundred), headers: post}, 400, "BAD_USER_INPUT"},
		{"100 operations, batching on", eBatch, rawRequest{method: http.MethodPost, body: jsonBody(t, hundred), headers: post}, 400, "BAD_USER_INPUT"},
	}
	refusedBefore := counterValue(t, "trellis.graphql.refused")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env.cluster.ResetCalls()
			status, code, raw := tt.env.do(t, tt.req)
			if status != tt.wantStatus || code != tt.wantCode {
				t.Errorf("status %d code %q, want %d %s; body %.300s", status, code, tt.wantStatus, tt.wantCode, raw)
			}
			if calls := dataCalls(tt.env.cluster.Calls()); len(calls) != 0 {
				t.Errorf("upstream calls: %v, want none", calls)
			}
		})
	}

	if n := counterValue(t, "trellis.graphql.refused") - refusedBefore; n != int64(len(tests)) {
		t.Errorf("trellis.graphql.refused grew by %d, want %d", n, len(tests))
	}

	// The same services do answer a legitimate request (the counters work).
	e.cluster.ResetCalls()
	if status, code, raw := e.do(t, postQuery("{ topProducts(first: 1) { name } }")); status != 200 || code != "" {
		t.Fatalf("legitimate query: %d %s %s", status, code, raw)
	}
	if diff := cmp.Diff(dataCalls(e.cluster.Calls()), map[string]map[string]int{"products": {"GET /products/top": 1}}); diff != "" {
		t.Errorf("legitimate query's calls (-got +want):\n%s", diff)
	}
}
