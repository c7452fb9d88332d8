package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/telemetry/requestid"
)

// probe is a handler extension that counts the operations that run, and fails operations named
// Unauthenticated, Limited or Crash at the operation-context stage, as the auth and rate-limit
// extensions of other packages do.
type probe struct{ ran atomic.Int64 }

func (*probe) ExtensionName() string                   { return "TestProbe" }
func (*probe) Validate(graphql.ExecutableSchema) error { return nil }
func (p *probe) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	p.ran.Add(1)
	return next(ctx)
}

func (*probe) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	switch oc.Operation.Name {
	case "Unauthenticated":
		return errcode.New(errcode.Unauthenticated, "sign in")
	case "Limited":
		return errcode.New(errcode.RateLimited, "slow down")
	case "Crash":
		panic("crash in an extension")
	}
	return nil
}

var (
	_ graphql.OperationInterceptor    = (*probe)(nil)
	_ graphql.OperationContextMutator = (*probe)(nil)
)

const (
	gqlResp = "application/graphql-response+json; charset=utf-8"
	jsonCT  = "application/json; charset=utf-8"
)

// protoCase is one row of the protocol table: a request and what must come back.
type protoCase struct {
	name    string
	method  string            // default POST
	ctype   string            // default application/json for POST; "-" none
	accept  string            // Accept header; "" none
	headers map[string]string // more request headers
	body    string            // POST body
	query   url.Values        // GET parameters
	cfg     func(*Config)

	status    int
	respCT    string // Content-Type of the response
	wantData  bool   // the response has a non-null data member
	wantCode  string // errors[0].extensions.code; "" = no errors
	wantMsg   string // substring of errors[0].message
	wantAllow string
	wantRan   int64 // operations that ran
	noBody    bool  // the response has no body (and no Content-Type)
}

func TestProtocol(t *testing.T) {
	pre := map[string]string{"GraphQL-Preflight": "1"}
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	typename := `{"query":"{ __typename }"}`
	tests := []protoCase{
		// Accept negotiation.
		{name: "no Accept: json", body: typename, status: 200, respCT: jsonCT, wantData: true, wantRan: 1},
		{name: "graphql-response+json", body: typename, accept: "application/graphql-response+json", status: 200, respCT: gqlResp, wantData: true, wantRan: 1},
		{name: "legacy json only", body: typename, accept: "application/json", status: 200, respCT: jsonCT, wantData: true, wantRan: 1},
		{name: "both, graphql-response preferred", body: typename, accept: "application/graphql-response+json, application/json;q=0.9",
			status: 200, respCT: gqlResp, wantData: true, wantRan: 1},
		{name: "both, json preferred", body: typename, accept: "application/json, application/graphql-response+json;q=0.5",
			status: 200, respCT: jsonCT, wantData: true, wantRan: 1},
		{name: "both, equal q", body: typename, accept: "application/json, application/graphql-response+json",
			status: 200, respCT: gqlResp, wantData: true, wantRan: 1},
		{name: "wildcard", body: typename, accept: "*/*", status: 200, respCT: jsonCT, wantData: true, wantRan: 1},
		{name: "with charset", body: typename, accept: "application/json; charset=utf-8", status: 200, respCT: jsonCT, wantData: true, wantRan: 1},
		{name: "unacceptable", body: typename, accept: "text/html", status: 406, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "Accept"},
		{name: "refused by q=0", body: typename, accept: "application/json;q=0", status: 406, respCT: jsonCT, wantCode: errcode.BadUserInput},

		// Request errors: the media type decides the status.
		{name: "parse error, json", body: `{"query":"{"}`, status: 200, respCT: jsonCT, wantCode: errcode.ParseFailed},
		{name: "parse error, graphql-response", body: `{"query":"{"}`, accept: "application/graphql-response+json", status: 400, respCT: gqlResp, wantCode: errcode.ParseFailed},
		{name: "validation error, json", body: `{"query":"{ nope }"}`, status: 200, respCT: jsonCT, wantCode: errcode.ValidationFailed},
		{name: "validation error, graphql-response", body: `{"query":"{ nope }"}`, accept: "application/graphql-response+json",
			status: 400, respCT: gqlResp, wantCode: errcode.ValidationFailed},
		{name: "variable coercion, graphql-response", body: `{"query":"query($n: Int!) { topProducts(first: $n) { upc } }","variables":{"n":"x"}}`,
			accept: "application/graphql-response+json", status: 400, respCT: gqlResp, wantCode: errcode.ValidationFailed},
		{name: "missing variable, json", body: `{"query":"query($n: Int!) { topProducts(first: $n) { upc } }"}`,
			status: 200, respCT: jsonCT, wantCode: errcode.ValidationFailed},
		{name: "unparseable JSON", body: `{"query":`, status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "not valid JSON"},
		{name: "unparseable JSON, graphql-response", body: `{"query":`, accept: "application/graphql-response+json", status: 400, respCT: gqlResp, wantCode: errcode.BadUserInput},
		{name: "no query", body: `{}`, status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "no query"},
		{name: "body too large", body: `{"query":"{ __typename }","x":"` + strings.Repeat("a", 5000) + `"}`,
			status: 413, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "larger than 4096"},
		{name: "unsupported content type", body: `{ __typename }`, ctype: "application/graphql", headers: pre,
			status: 415, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "Content-Type"},

		// Codes with their own status, whatever the media type.
		{name: "unauthenticated, json", body: `{"query":"query Unauthenticated { __typename }"}`, status: 401, respCT: jsonCT, wantCode: errcode.Unauthenticated},
		{name: "rate limited, graphql-response", body: `{"query":"query Limited { __typename }"}`, accept: "application/graphql-response+json",
			status: 429, respCT: gqlResp, wantCode: errcode.RateLimited},
		{name: "panic outside the executor", body: `{"query":"query Crash { __typename }"}`, status: 500, respCT: jsonCT,
			wantCode: errcode.Internal, wantMsg: "internal error"},

		// Methods.
		{name: "GET query", method: "GET", query: q("query", "{ __typename }"), headers: pre, status: 200, respCT: jsonCT, wantData: true, wantRan: 1},
		{name: "GET with variables and operationName", method: "GET", headers: pre, status: 200, respCT: jsonCT, wantData: true, wantRan: 1,
			query: q("query", "query A { a: __typename } query B($x: Boolean!) { b: __typename @include(if: $x) }", "operationName", "B", "variables", `{"x":true}`)},
		{name: "GET mutation", method: "GET", headers: pre, accept: "application/graphql-response+json",
			query:  q("query", `mutation { addReview(input: {productUpc: "1", body: "x", rating: 5}) { review { id } } }`),
			status: 405, respCT: gqlResp, wantAllow: "POST", wantCode: errcode.BadUserInput, wantMsg: "POST"},
		{name: "GET mutation chosen by operationName", method: "GET", headers: pre,
			query:  q("query", `query Q { __typename } mutation M { addReview(input: {productUpc: "1", body: "x", rating: 5}) { review { id } } }`, "operationName", "M"),
			status: 405, respCT: jsonCT, wantAllow: "POST", wantCode: errcode.BadUserInput},
		{name: "POST mutation runs", body: `{"query":"mutation { addReview(input: {productUpc: \"1\", body: \"x\", rating: 5}) { review { id } } }"}`,
			status: 200, respCT: jsonCT, wantCode: errcode.Internal, wantRan: 1}, // no resolvers here: it runs and fails inside
		{name: "GET bad variables", method: "GET", headers: pre, query: q("query", "{ __typename }", "variables", "[1]"),
			status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "variables"},
		{name: "GET bad escape", method: "GET", headers: pre, status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "query string"},
		{name: "GET without query", method: "GET", headers: pre, query: q(), status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput},
		{name: "OPTIONS", method: "OPTIONS", status: 204, wantAllow: "GET, POST, OPTIONS", noBody: true},
		{name: "PUT", method: "PUT", body: typename, status: 405, respCT: jsonCT, wantAllow: "GET, POST", wantCode: errcode.BadUserInput},

		// CSRF prevention.
		{name: "form POST", body: "query=%7B__typename%7D", ctype: "application/x-www-form-urlencoded",
			status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "CSRF"},
		{name: "text/plain POST", body: typename, ctype: "text/plain", status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "CSRF"},
		{name: "GET without preflight header", method: "GET", query: q("query", "{ __typename }"),
			status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "CSRF"},
		{name: "GET with Apollo's header", method: "GET", query: q("query", "{ __typename }"), headers: map[string]string{"X-Apollo-Operation-Name": "x"},
			status: 200, respCT: jsonCT, wantData: true, wantRan: 1},
		{name: "GET, CSRF rule off", method: "GET", query: q("query", "{ __typename }"), cfg: func(c *Config) { c.CSRFPrevention.Enabled = new(bool) },
			status: 200, respCT: jsonCT, wantData: true, wantRan: 1},

		// operationName and extensions.
		{name: "operationName selects", body: `{"query":"query A { a: __typename } query B { b: __typename }","operationName":"B"}`,
			status: 200, respCT: jsonCT, wantData: true, wantRan: 1},
		{name: "operationName needed", body: `{"query":"query A { a: __typename } query B { b: __typename }"}`,
			accept: "application/graphql-response+json", status: 400, respCT: gqlResp, wantCode: errcode.ValidationFailed},
		{name: "operationName unknown", body: `{"query":"query A { a: __typename }","operationName":"C"}`,
			status: 200, respCT: jsonCT, wantCode: errcode.ValidationFailed},
		{name: "extensions accepted", body: `{"query":"{ __typename }","extensions":{"client":{"name":"x"},"n":[1,2]}}`,
			status: 200, respCT: jsonCT, wantData: true, wantRan: 1},

		// Batches.
		{name: "batch not enabled", body: `[` + typename + `]`, status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "not enabled"},
		{name: "batch over the maximum", body: `[` + strings.Repeat(typename+`,`, 3) + typename + `]`,
			cfg:    func(c *Config) { c.Batching = BatchConfig{Enabled: true, MaxOperations: 3} },
			status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput, wantMsg: "at most 3"},
		{name: "empty batch", body: `[]`, cfg: func(c *Config) { c.Batching.Enabled = true },
			status: 400, respCT: jsonCT, wantCode: errcode.BadUserInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, p := doProto(t, tt)
			checkProto(t, tt, got, p)
		})
	}
}

// doProto sends tt to a test handler and returns the recorded response and the probe.
func doProto(t *testing.T, tt protoCase) (*httptest.ResponseRecorder, *probe) {
	t.Helper()
	cfg := Config{MaxBodyBytes: 4096}
	if tt.cfg != nil {
		tt.cfg(&cfg)
	}
	p := &probe{}
	h := newTestHandler(t, cfg, Deps{Extensions: []graphql.HandlerExtension{p}})
	method := tt.method
	if method == "" {
		method = http.MethodPost
	}
	target := "/graphql"
	if tt.query != nil {
		target += "?" + tt.query.Encode()
	} else if method == http.MethodGet {
		target += "?query=%zz"
	}
	var req *http.Request
	if method == http.MethodGet {
		req = httptest.NewRequest(method, target, nil)
	} else {
		req = httptest.NewRequest(method, target, strings.NewReader(tt.body))
	}
	switch {
	case tt.ctype == "-":
	case tt.ctype != "":
		req.Header.Set("Content-Type", tt.ctype)
	case method != http.MethodGet:
		req.Header.Set("Content-Type", "application/json")
	}
	if tt.accept != "" {
		req.Header.Set("Accept", tt.accept)
	}
	for k, v := range tt.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, p
}

func checkProto(t *testing.T, tt protoCase, rec *httptest.ResponseRecorder, p *probe) {
	t.Helper()
	if rec.Code != tt.status {
		t.Errorf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != tt.respCT {
		t.Errorf("Content-Type = %q, want %q", ct, tt.respCT)
	}
	if allow := rec.Header().Get("Allow"); allow != tt.wantAllow {
		t.Errorf("Allow = %q, want %q", allow, tt.wantAllow)
	}
	if rec.Header().Get(requestid.Header) == "" {
		t.Errorf("no %s header", requestid.Header)
	}
	if n := p.ran.Load(); n != tt.wantRan {
		t.Errorf("%d operations ran, want %d", n, tt.wantRan)
	}
	if tt.noBody {
		if rec.Body.Len() != 0 {
			t.Errorf("body %q, want none", rec.Body)
		}
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, rec.Body)
	}
	data, hasData := body["data"]
	if tt.wantData && (!hasData || string(data) == "null") {
		t.Errorf("no data: %s", rec.Body)
	}
	if tt.wantRan == 0 && hasData {
		t.Errorf("a request that did not run has a data member: %s", rec.Body)
	}
	var errs []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	if raw, ok := body["errors"]; ok {
		if err := json.Unmarshal(raw, &errs); err != nil {
			t.Fatalf("errors: %v", err)
		}
	}
	if tt.wantCode == "" {
		if len(errs) != 0 {
			t.Errorf("errors: %s", rec.Body)
		}
		return
	}
	if len(errs) == 0 {
		t.Fatalf("no errors, want %s: %s", tt.wantCode, rec.Body)
	}
	if code := errs[0].Extensions["code"]; code != tt.wantCode {
		t.Errorf("code = %v, want %s; body %s", code, tt.wantCode, rec.Body)
	}
	if !strings.Contains(errs[0].Message, tt.wantMsg) {
		t.Errorf("message = %q, want it to contain %q", errs[0].Message, tt.wantMsg)
	}
	if tt.wantCode == errcode.Internal && errs[0].Extensions["requestId"] != rec.Header().Get(requestid.Header) {
		t.Errorf("requestId = %v, want the %s header %q", errs[0].Extensions["requestId"], requestid.Header, rec.Header().Get(requestid.Header))
	}
}

func TestBatch(t *testing.T) {
	p := &probe{}
	h := newTestHandler(t, Config{Batching: BatchConfig{Enabled: true, MaxOperations: 3}, Limits: Limits{MaxAliases: 1}},
		Deps{Extensions: []graphql.HandlerExtension{p}})
	body := `[{"query":"{ __typename }"}, {"query":"{ a: __typename b: __typename }"}, {"query":"{"}]`
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	var got []struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body is not an array: %v: %s", err, rec.Body)
	}
	if len(got) != 3 {
		t.Fatalf("%d responses, want 3: %s", len(got), rec.Body)
	}
	if got[0].Data["__typename"] != "Query" || len(got[0].Errors) != 0 {
		t.Errorf("first: %+v", got[0])
	}
	// Each operation of a batch counts against every limit on its own.
	if len(got[1].Errors) != 1 || got[1].Errors[0].Extensions["limit"] != "max_aliases" {
		t.Errorf("second, over max_aliases: %+v", got[1])
	}
	if len(got[2].Errors) != 1 || got[2].Errors[0].Extensions["code"] != errcode.ParseFailed {
		t.Errorf("third, unparseable: %+v", got[2])
	}
	if n := p.ran.Load(); n != 1 {
		t.Errorf("%d operations ran, want 1", n)
	}
}

// TestInternalErrorsCarryTheRequestID: a resolver panic and a panic outside the executor each answer
// INTERNAL_SERVER_ERROR with extensions.requestId, the X-Request-Id of the response, and the log line
// with the details has the same id. A well-formed incoming X-Request-Id is kept; another is replaced.
func TestInternalErrorsCarryTheRequestID(t *testing.T) {
	tests := []struct {
		name, query, incoming string
		wantStatus            int
		keepIncoming          bool
	}{
		{name: "resolver panic", query: "{ topProducts { name } }", wantStatus: 200},
		{name: "extension panic", query: "query Crash { __typename }", wantStatus: 500},
		{name: "incoming id kept", query: "{ topProducts { name } }", incoming: "abc-123", wantStatus: 200, keepIncoming: true},
		{name: "incoming proxy-style id kept", query: "{ topProducts { name } }", incoming: "trace:abc", wantStatus: 200, keepIncoming: true},
		{name: "unsafe incoming id replaced", query: "{ topProducts { name } }", incoming: "a\"b", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := newLog()
			h := newTestHandler(t, Config{}, Deps{Logger: log, Extensions: []graphql.HandlerExtension{&probe{}}})
			body, _ := json.Marshal(map[string]string{"query": tt.query})
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			if tt.incoming != "" {
				req.Header.Set(requestid.Header, tt.incoming)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			id := rec.Header().Get(requestid.Header)
			if rec.Code != tt.wantStatus || id == "" {
				t.Fatalf("status %d, id %q; body %s", rec.Code, id, rec.Body)
			}
			if (id == tt.incoming) != tt.keepIncoming {
				t.Errorf("id %q, incoming %q, want kept: %t", id, tt.incoming, tt.keepIncoming)
			}
			var resp gqlResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Errors) == 0 {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if e := resp.Errors[0]; e.Extensions["code"] != errcode.Internal || e.Extensions["requestId"] != id || e.Message != "internal error" {
				t.Errorf("error %+v, want INTERNAL_SERVER_ERROR with requestId %s", e, id)
			}
			if !strings.Contains(buf.String(), `"request_id":"`+id+`"`) || !strings.Contains(buf.String(), "panic") {
				t.Errorf("log lacks the panic with request_id %s:\n%s", id, buf.String())
			}
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if n := strings.Count(line, `"request_id"`); n != 1 {
					t.Errorf("%d request_id keys in %s, want 1", n, line)
				}
			}
		})
	}
}

func TestWriteRequestErrorFromMiddleware(t *testing.T) {
	refuse := func(code string) func(http.Handler) http.Handler {
		return func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				WriteRequestError(w, r, errcode.New(code, "refused"))
			})
		}
	}
	tests := []struct {
		code, accept, wantCT string
		wantStatus           int
	}{
		{errcode.Unauthenticated, "application/graphql-response+json", gqlResp, 401},
		{errcode.RateLimited, "application/json", jsonCT, 429},
		{errcode.BadUserInput, "application/graphql-response+json", gqlResp, 400},
		{errcode.BadUserInput, "application/json", jsonCT, 200},
	}
	for _, tt := range tests {
		t.Run(tt.code+" "+tt.accept, func(t *testing.T) {
			p := &probe{}
			h := newTestHandler(t, Config{}, Deps{PerRequest: refuse(tt.code), Extensions: []graphql.HandlerExtension{p}})
			rec := postQuery(t, h, "{ __typename }", tt.accept)
			if rec.Code != tt.wantStatus || rec.Header().Get("Content-Type") != tt.wantCT {
				t.Errorf("status %d %q, want %d %q", rec.Code, rec.Header().Get("Content-Type"), tt.wantStatus, tt.wantCT)
			}
			if !strings.Contains(rec.Body.String(), `"code":"`+tt.code+`"`) || p.ran.Load() != 0 {
				t.Errorf("body %s, ran %d", rec.Body, p.ran.Load())
			}
		})
	}
}

// ctxProbe records what its operation's context holds under ctxProbeKey.
type ctxProbe struct{ got []any }

type ctxProbeKey struct{}

func (*ctxProbe) ExtensionName() string                   { return "TestContextProbe" }
func (*ctxProbe) Validate(graphql.ExecutableSchema) error { return nil }
func (p *ctxProbe) MutateOperationContext(ctx context.Context, _ *graphql.OperationContext) *gqlerror.Error {
	p.got = append(p.got, ctx.Value(ctxProbeKey{}))
	return nil
}

// Deps.RequestContext derive, in order and after PerRequest, the context operations run in.
func TestRequestContext(t *testing.T) {
	probe := &ctxProbe{}
	var order []string
	derive := func(name string) RequestContext {
		return func(ctx context.Context, w http.ResponseWriter, r *http.Request) context.Context {
			if w == nil || r == nil {
				t.Errorf("%s: called without the response writer or the request", name)
			}
			order = append(order, name)
			return context.WithValue(ctx, ctxProbeKey{}, name)
		}
	}
	h := newTestHandler(t, Config{}, Deps{
		Extensions: []graphql.HandlerExtension{probe},
		PerRequest: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, "per-request")
				next.ServeHTTP(w, r)
			})
		},
		RequestContext: []RequestContext{derive("first"), derive("second")},
	})
	rec := postQuery(t, h, "{ __typename }", "application/json")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if diff := cmp.Diff(order, []string{"per-request", "first", "second"}); diff != "" {
		t.Errorf("order (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(probe.got, []any{"second"}); diff != "" {
		t.Errorf("the operation's context value (-got +want):\n%s", diff)
	}
}
