package graph

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/graph/errcode"
)

// nested returns levels × "reviews { product { " around upc: 2 × levels + 1 fields deep.
func nested(levels int) string {
	return strings.Repeat("reviews { product { ", levels) + "upc" + strings.Repeat(" } }", levels)
}

// maliciousDocuments are the attacks the issue lists, as query texts (the transport-level ones, body
// size, content type, GET mutation and batches, are in the e2e and protocol tests). Each is refused
// with wantCode; wantLimit is extensions.limit when a configured limit refuses it.
func maliciousDocuments() []struct{ name, query, wantCode, wantLimit string } {
	var aliases, directives strings.Builder
	for i := range 101 {
		fmt.Fprintf(&aliases, "a%d: upc ", i)
	}
	for range 51 {
		directives.WriteString("upc @include(if: true) ")
	}
	return []struct{ name, query, wantCode, wantLimit string }{
		{"101 aliases", "{ topProducts { " + aliases.String() + "} }", errcode.ValidationFailed, "max_aliases"},
		{"depth 50", "{ topProducts { " + nested(24) + " } }", errcode.ValidationFailed, "max_depth"},
		{"10 000 tokens", "{ topProducts { " + strings.Repeat("upc ", 10000) + "} }", errcode.ParseFailed, ""},
		{"a directive repeated 50 times", "{ topProducts " + strings.Repeat("@include(if: true) ", 50) + "{ upc } }", errcode.ValidationFailed, ""},
		{"51 directives", "{ topProducts { " + directives.String() + "} }", errcode.ValidationFailed, "max_directives"},
		{"circular fragments", "{ topProducts { ...A } } fragment A on Product { reviews { product { ...B } } } fragment B on Product { ...A }",
			errcode.ValidationFailed, ""},
		{"21 root fields", "{ " + strings.Repeat("__typename ", 21) + "}", errcode.ValidationFailed, "max_root_fields"},
		{"aliases through fragment spreads", "{ topProducts { ...F ...F } } fragment F on Product { " + strings.Repeat("x: upc ", 16) + "}",
			errcode.ValidationFailed, "max_aliases"},
		{"depth through fragments", "{ topProducts { ...F } } fragment F on Product { " + nested(10) + " }",
			errcode.ValidationFailed, "max_depth"},
		{"root fields through fragments", "{ ...Q ...Q ... on Query { ...Q } } fragment Q on Query { " + strings.Repeat("__typename ", 7) + "}",
			errcode.ValidationFailed, "max_root_fields"},
		{"fragments spread exponentially", exponentialFragments(40), errcode.ValidationFailed, "max_aliases"},
		{"4 900 copies of a field", `{ user(id: "1") { ` + strings.Repeat("name ", 4900) + `} }`, errcode.ValidationFailed, "max_fields"},
		{"fields through fragments", `{ ...F ...F } fragment F on Query { user(id: "1") { ` + strings.Repeat("name ", 1001) + `} }`,
			errcode.ValidationFailed, "max_fields"},
		{"fields spread exponentially", `{ user(id: "1") { ...F40 } }` + strings.NewReplacer("on Query", "on User", "x: __typename", "name", "{ ...F40 }", "").
			Replace(exponentialFragments(40)), errcode.ValidationFailed, "max_fields"},
		{"2 400 unknown directives", "{ __typename " + strings.Repeat("@aa ", 2400) + "}", errcode.ValidationFailed, "max_directives"},
		{"directives of an unused fragment", "{ __typename } fragment F on Query { __typename " + strings.Repeat("@aa ", 51) + "}",
			errcode.ValidationFailed, "max_directives"},
		{"directives of variables and the operation", "query Q($a: Int " + strings.Repeat("@aa ", 30) + ") " + strings.Repeat("@bb ", 21) + "{ __typename }",
			errcode.ValidationFailed, "max_directives"},
	}
}

// exponentialFragments returns a query whose fragment Fn spreads F(n-1) twice: 2^n aliased fields.
func exponentialFragments(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F" + fmt.Sprint(n) + " } fragment F0 on Query { x: __typename }")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i-1, i-1)
	}
	return b.String()
}

func TestMaliciousDocumentsAreRefused(t *testing.T) {
	for _, tt := range maliciousDocuments() {
		t.Run(tt.name, func(t *testing.T) {
			p := &probe{}
			h := newTestHandler(t, Config{}, Deps{Extensions: []graphql.HandlerExtension{p}})
			rec := postQuery(t, h, tt.query, "application/graphql-response+json")
			if rec.Code != http.StatusBadRequest {
				t.Errorf("status = %d, want 400; body %.300s", rec.Code, rec.Body)
			}
			var resp gqlResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Errors) == 0 {
				t.Fatalf("body %.300s: %v", rec.Body, err)
			}
			e := resp.Errors[0]
			if tt.wantLimit != "" && len(resp.Errors) != 1 {
				t.Errorf("%d errors, want the limit's alone: %.300s", len(resp.Errors), rec.Body)
			}
			if e.Extensions["code"] != tt.wantCode {
				t.Errorf("code = %v, want %s (%s)", e.Extensions["code"], tt.wantCode, e.Message)
			}
			if tt.wantLimit != "" && e.Extensions["limit"] != tt.wantLimit {
				t.Errorf("limit = %v, want %s (%s)", e.Extensions["limit"], tt.wantLimit, e.Message)
			}
			if n := p.ran.Load(); n != 0 {
				t.Errorf("%d operations ran", n)
			}
		})
	}
}

// referenceQuery is DESIGN.md's reference query.
const referenceQuery = `fragment U on User { id username name }
fragment R on Review { id body }
fragment P on Product { upc name price weight inStock shippingEstimate }
query Reference($users: Int = 10) {
  users(first: $users) { nodes { ...U reviews { ...R product { ...P reviews { ...R author { ...U reviews { ...R product { ...P } } } } } } } }
  topProducts(first: 5) { ...P reviews { ...R author { ...U reviews { ...R product { ...P } } } } }
}`

// TestLimitCounts pins the counts the README quotes.
func TestLimitCounts(t *testing.T) {
	for _, tt := range []struct {
		name, query string
		want        shape
	}{
		{"standard introspection query", introspection.Query, shape{depth: 15, fields: 1, selections: 226}},
		{"reference query", referenceQuery, shape{depth: 9, fields: 2, selections: 56}},
	} {
		doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
		if err != nil {
			t.Fatal(err)
		}
		w := walker{frags: doc.Fragments, memo: map[string]*shape{}}
		got := w.selectionSet(doc.Operations[0].SelectionSet)
		got.introspection = nil
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestLimitsAllowWhatClientsSend(t *testing.T) {
	tests := []struct{ name, query string }{
		{"standard introspection query", introspection.Query},
		{"20 fields deep", "{ topProducts { " + nested(9) + " } }"},
		{"30 aliases", "{ topProducts { " + strings.Repeat("x: upc ", 30) + "} }"},
		{"20 root fields", "{ " + strings.Repeat("__typename ", 20) + "}"},
		{"50 directives", "{ topProducts { " + strings.Repeat("upc @include(if: true) ", 50) + "} }"},
		{"2 000 fields", `{ user(id: "1") { ` + strings.Repeat("name ", 1999) + `} }`},
		{"the reference query", referenceQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, Config{}, Deps{})
			rec := postQuery(t, h, tt.query, "application/graphql-response+json")
			var resp gqlResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("body %.300s: %v", rec.Body, err)
			}
			for _, e := range resp.Errors {
				if e.Extensions["code"] != errcode.Internal { // no resolvers in this schema: fields fail when run
					t.Errorf("refused: %s (%v)", e.Message, e.Extensions)
				}
			}
			if rec.Code != http.StatusOK {
				t.Errorf("status = %d, want 200", rec.Code)
			}
		})
	}
}

func TestIntrospectionOff(t *testing.T) {
	off := false
	tests := []struct {
		name, query string
		refused     bool
	}{
		{"__schema", "{ __schema { queryType { name } } }", true},
		{"__type", `{ __type(name: "Query") { name } }`, true},
		{"__schema in a fragment", "{ ...F } fragment F on Query { __schema { queryType { name } } }", true},
		{"__typename", "{ __typename }", false},
		{"standard introspection query", introspection.Query, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// With a document cache, the second request finds the check's answer kept for the
			// cached operation: it is refused (or not) the same.
			docs, err := cache.NewMemory[*ast.QueryDocument]("test", cache.Config{Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = docs.Close() })
			h := newTestHandler(t, Config{Introspection: &off}, Deps{Documents: docs})
			for i := range 2 {
				rec := postQuery(t, h, tt.query, "application/json")
				var resp gqlResponse
				if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
					t.Fatalf("request %d: body %.300s: %v", i, rec.Body, err)
				}
				if !tt.refused {
					if len(resp.Errors) != 0 || resp.Data["__typename"] != "Query" {
						t.Errorf("request %d: want data: %s", i, rec.Body)
					}
					continue
				}
				if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.ValidationFailed ||
					!strings.Contains(resp.Errors[0].Message, "introspection is disabled") || resp.Data != nil {
					t.Errorf("request %d: want one GRAPHQL_VALIDATION_FAILED about introspection and no data: %s", i, rec.Body)
				}
			}
		})
	}

	t.Run("HideSuggestions hides suggestions", func(t *testing.T) {
		for _, hide := range []bool{false, true} {
			h := newTestHandler(t, Config{}, Deps{HideSuggestions: hide})
			rec := postQuery(t, h, "{ topProduct { upc } }", "application/json")
			if got, want := strings.Contains(rec.Body.String(), "Did you mean"), !hide; got != want {
				t.Errorf("HideSuggestions %t: suggestion shown = %t, want %t: %s", hide, got, want, rec.Body)
			}
		}
	})
}

// postQuery posts query as JSON with the given Accept header.
func postQuery(t *testing.T, h http.Handler, query, accept string) *httptest.ResponseRecorder {
	t.Helper()
	body, err := json.Marshal(map[string]string{"query": query})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
