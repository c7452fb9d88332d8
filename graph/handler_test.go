package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/generated"
)

// decodeRequest bounds a request it accepts by server.request_timeout, and releases the context once
// the request is served.
func TestDecodeRequestDeadline(t *testing.T) {
	const timeout = 7 * time.Second
	tests := []struct {
		name       string
		parent     time.Duration // deadline already on the request; 0 means none
		wantWithin time.Duration // the deadline is at most this far after the call
	}{
		{name: "no deadline yet", wantWithin: timeout},
		{name: "later deadline is shortened", parent: time.Hour, wantWithin: timeout},
		{name: "earlier deadline is kept", parent: time.Second, wantWithin: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inner context.Context
			cfg := Config{RequestTimeout: timeout}.WithDefaults()
			h := decodeRequest(cfg, instruments{}, newHeaderValues(), http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				inner = r.Context()
			}))
			ctx := context.Background()
			if tt.parent > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.parent)
				defer cancel()
			}
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
			req.Header.Set("Content-Type", "application/json")
			before := time.Now()
			h.ServeHTTP(httptest.NewRecorder(), req)
			after := time.Now()

			if inner == nil {
				t.Fatal("the request was refused")
			}
			dl, ok := inner.Deadline()
			if !ok {
				t.Fatal("the handler's context has no deadline")
			}
			if dl.After(after.Add(tt.wantWithin)) {
				t.Errorf("deadline is %s after the call, want at most %s", dl.Sub(after), tt.wantWithin)
			}
			if dl.Before(before) {
				t.Errorf("deadline %s is before the call", dl)
			}
			if inner.Err() == nil {
				t.Error("the request's context is not released once the handler returned")
			}
		})
	}
}

func TestRecoverHTTP(t *testing.T) {
	log, buf := newLog()
	h := recoverHTTP(log, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom: " + hiddenDetail)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	wantBody(t, rec.Body.String(), "internal error")
	if !strings.Contains(buf.String(), hiddenDetail) {
		t.Errorf("log lacks the panic:\n%s", buf.String())
	}

	t.Run("passes through", func(t *testing.T) {
		h := recoverHTTP(log, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusTeapot {
			t.Errorf("status = %d, want 418", rec.Code)
		}
	})

	t.Run("ErrAbortHandler re-panics", func(t *testing.T) {
		h := recoverHTTP(log, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic(http.ErrAbortHandler)
		}))
		rec := httptest.NewRecorder()
		p := func() (p any) {
			defer func() { p = recover() }()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			return nil
		}()
		if p != http.ErrAbortHandler {
			t.Errorf("panic = %v, want http.ErrAbortHandler", p)
		}
		if rec.Body.Len() != 0 {
			t.Errorf("wrote %q for an aborted request", rec.Body.String())
		}
	})
}

// wantBody fails t unless body is the JSON {"status": status}.
func wantBody(t *testing.T, body, status string) {
	t.Helper()
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if diff := cmp.Diff(got, map[string]string{"status": status}); diff != "" {
		t.Errorf("body (-got +want):\n%s", diff)
	}
}

// newTestHandler is NewHandler over the served schema (as the gateway builds it) with no resolvers:
// enough for the probes, for parse and validation errors, and for a resolver that panics.
func newTestHandler(t *testing.T, cfg Config, d Deps) http.Handler {
	t.Helper()
	d.Schema = generated.NewExecutableSchema(generated.Config{Schema: ServedSchema(generated.NewExecutableSchema(generated.Config{}).Schema())})
	return NewHandler(cfg, d)
}

func TestProbes(t *testing.T) {
	errDown := errors.New("orders: dial 10.9.8.7:4501: " + hiddenDetail)
	tests := []struct {
		name       string
		method     string
		path       string
		ready      func(context.Context) error
		wantStatus int
		wantBody   string
		wantLog    string
	}{
		{name: "healthz", method: http.MethodGet, path: "/healthz", wantStatus: http.StatusOK, wantBody: "ok"},
		{name: "healthz while not ready", method: http.MethodGet, path: "/healthz",
			ready: func(context.Context) error { return errDown }, wantStatus: http.StatusOK, wantBody: "ok"},
		{name: "readyz without a check", method: http.MethodGet, path: "/readyz", wantStatus: http.StatusOK, wantBody: "ready"},
		{name: "readyz ready", method: http.MethodGet, path: "/readyz",
			ready: func(context.Context) error { return nil }, wantStatus: http.StatusOK, wantBody: "ready"},
		{name: "readyz not ready", method: http.MethodGet, path: "/readyz",
			ready:      func(context.Context) error { return errDown },
			wantStatus: http.StatusServiceUnavailable, wantBody: "unavailable", wantLog: hiddenDetail},
		{name: "readyz check is bounded", method: http.MethodGet, path: "/readyz",
			ready: func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); !ok {
					return errors.New("no deadline")
				}
				return nil
			},
			wantStatus: http.StatusOK, wantBody: "ready"},
		{name: "POST healthz", method: http.MethodPost, path: "/healthz", wantStatus: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := newLog()
			h := newTestHandler(t, Config{}, Deps{Ready: tt.ready, Logger: log})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantBody != "" {
				wantBody(t, rec.Body.String(), tt.wantBody)
			}
			if strings.Contains(rec.Body.String(), "10.9.8.7") || strings.Contains(rec.Body.String(), hiddenDetail) {
				t.Errorf("body shows the error: %s", rec.Body)
			}
			if tt.wantLog != "" && !strings.Contains(buf.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, buf.String())
			}
		})
	}
}

// gqlResponse is the part of a GraphQL response these tests look at.
type gqlResponse struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func TestGraphQLEndpoint(t *testing.T) {
	var sawDeadline, sawPerRequest bool
	perRequest := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sawPerRequest = true
			_, sawDeadline = r.Context().Deadline()
			next.ServeHTTP(w, r)
		})
	}
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantData   map[string]any
		wantCode   string
		wantMsg    string // exact message; with a leading "~", a substring of it
		wantPath   []any
		chunked    bool   // the body's length is not announced
		ctype      string // Content-Type; default application/json
	}{
		{name: "typename", body: `{"query":"{ __typename }"}`, wantStatus: http.StatusOK,
			wantData: map[string]any{"__typename": "Query"}},
		{name: "parse error", body: `{"query":"{ topProducts {"}`, wantStatus: http.StatusOK,
			wantCode: errcode.ParseFailed},
		{name: "validation error", body: `{"query":"{ nope }"}`, wantStatus: http.StatusOK,
			wantCode: errcode.ValidationFailed},
		{name: "resolver panic", body: `{"query":"{ topProducts { name } }"}`, wantStatus: http.StatusOK,
			wantCode: errcode.Internal, wantMsg: "internal error", wantPath: []any{"topProducts"}},
		{name: "body too large", body: `{"query":"{ __typename }", "x":"` + strings.Repeat("a", 8192) + `"}`,
			wantStatus: http.StatusRequestEntityTooLarge, wantCode: errcode.BadUserInput,
			wantMsg: "the request body is larger than 4096 bytes"},
		{name: "body not JSON", body: `{"query": "{ __typename }"`, wantStatus: http.StatusBadRequest,
			wantCode: errcode.BadUserInput, wantMsg: "the request body is not valid JSON"},
		{name: "query not a string", body: `{"query": 5}`, wantStatus: http.StatusBadRequest,
			wantCode: errcode.BadUserInput, wantMsg: "query must be a string"},
		{name: "variables not an object", body: `{"query": "{ __typename }", "variables": "x"}`, wantStatus: http.StatusBadRequest,
			wantCode: errcode.BadUserInput, wantMsg: "variables must be an object"},
		{name: "operationName not a string", body: `{"query": "{ __typename }", "operationName": ["a"]}`, wantStatus: http.StatusBadRequest,
			wantCode: errcode.BadUserInput, wantMsg: "operationName must be a string"},
		{name: "body a string", body: `"hello"`, wantStatus: http.StatusBadRequest,
			wantCode: errcode.BadUserInput, wantMsg: "the request body is not a JSON object"},
		{name: "batch not enabled", body: `[{"query": "{ __typename }"}]`, wantStatus: http.StatusBadRequest,
			wantCode: errcode.BadUserInput, wantMsg: "batched requests (a JSON array) are not enabled"},
		{name: "defer refused", body: `{"query": "{ ... @defer { __typename } }"}`, wantStatus: http.StatusOK,
			wantCode: errcode.ValidationFailed, wantMsg: "@defer is not supported by this gateway"},
		{name: "defer in a fragment refused", body: `{"query": "{ ...F } fragment F on Query { ... @defer { __typename } }"}`,
			wantStatus: http.StatusOK, wantCode: errcode.ValidationFailed, wantMsg: "@defer is not supported by this gateway"},
		{name: "too many tokens", body: `{"query": "{ ` + strings.Repeat("__typename ", 200) + `}"}`,
			wantStatus: http.StatusOK, wantCode: errcode.ParseFailed, wantMsg: "~token"},
		{name: "empty body", body: ``, wantStatus: http.StatusBadRequest,
			wantCode: errcode.BadUserInput, wantMsg: "the request body is not a JSON object"},
		{name: "charset allowed", body: `{"query": "{ __typename }"}`, ctype: "application/json; charset=utf-8",
			wantStatus: http.StatusOK, wantData: map[string]any{"__typename": "Query"}},
		{name: "other content type", body: `{ __typename }`, ctype: "application/graphql",
			wantStatus: http.StatusUnsupportedMediaType, wantCode: errcode.BadUserInput,
			wantMsg: "the Content-Type of a POST request must be application/json"},
		{name: "no content type", body: `{"query": "{ __typename }"}`, ctype: "-",
			wantStatus: http.StatusBadRequest, wantCode: errcode.BadUserInput,
			wantMsg: "~Cross-Site Request Forgery"},
		{name: "nulls allowed", body: `{"query": "{ __typename }", "operationName": null, "variables": null, "extensions": null}`,
			wantStatus: http.StatusOK, wantData: map[string]any{"__typename": "Query"}},
		{name: "body too large, length not announced", body: `{"query":"{ __typename }", "x":"` + strings.Repeat("a", 8192) + `"}`,
			wantStatus: http.StatusRequestEntityTooLarge, wantCode: errcode.BadUserInput, chunked: true,
			wantMsg: "the request body is larger than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sawDeadline, sawPerRequest = false, false
			log, buf := newLog()
			h := newTestHandler(t, Config{MaxBodyBytes: 4096, MaxTokens: 100}, Deps{PerRequest: perRequest, Logger: log})
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(tt.body))
			switch tt.ctype {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			refused := tt.wantStatus == http.StatusRequestEntityTooLarge || tt.wantStatus == http.StatusBadRequest ||
				tt.wantStatus == http.StatusUnsupportedMediaType
			if refused && sawPerRequest {
				t.Errorf("a body over the limit reached the per-request middleware")
			}
			if !refused && (!sawPerRequest || !sawDeadline) {
				t.Errorf("per-request middleware ran: %t, with a deadline: %t; want both", sawPerRequest, sawDeadline)
			}
			var resp gqlResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if tt.wantData != nil {
				if diff := cmp.Diff(resp.Data, tt.wantData); diff != "" || len(resp.Errors) != 0 {
					t.Errorf("data (-got +want):\n%s\nerrors: %+v", diff, resp.Errors)
				}
				return
			}
			if len(resp.Errors) == 0 || resp.Data["__typename"] != nil {
				t.Fatalf("want errors and no data: %s", rec.Body)
			}
			e := resp.Errors[0]
			if tt.wantCode != "" && e.Extensions["code"] != tt.wantCode {
				t.Errorf("code = %v, want %s; body %s", e.Extensions["code"], tt.wantCode, rec.Body)
			}
			if sub, ok := strings.CutPrefix(tt.wantMsg, "~"); ok {
				if !strings.Contains(e.Message, sub) {
					t.Errorf("message = %q, want it to contain %q", e.Message, sub)
				}
			} else if tt.wantMsg != "" && e.Message != tt.wantMsg {
				t.Errorf("message = %q, want %q", e.Message, tt.wantMsg)
			}
			if tt.wantPath != nil {
				if diff := cmp.Diff(e.Path, tt.wantPath); diff != "" {
					t.Errorf("path (-got +want):\n%s", diff)
				}
			}
			if tt.name == "resolver panic" {
				if strings.Contains(rec.Body.String(), "nil pointer") {
					t.Errorf("body shows the panic: %s", rec.Body)
				}
				if !strings.Contains(buf.String(), "nil pointer") {
					t.Errorf("log lacks the panic:\n%s", buf.String())
				}
			}
		})
	}
}
