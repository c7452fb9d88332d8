package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
)

// expectedSearch derives search(text, first) from the data set: users whose username or name contains
// text, then products whose name does (any case), at most first, with `reviews(first: 1) { id }` on
// both.
func (e *env) expectedSearch(text string, first int) []any {
	text = strings.ToLower(text)
	out := []any{}
	firstReview := func(rs []any) []any { return rs[:min(len(rs), 1)] }
	for _, u := range e.index.Set.Users {
		if len(out) == first {
			return out
		}
		if strings.Contains(strings.ToLower(u.Username), text) || strings.Contains(strings.ToLower(u.Name), text) {
			var rs []any
			for _, r := range e.index.ReviewsByAuthor(u.ID) {
				rs = append(rs, obj{"id": globalID("Review", r.ID)})
			}
			out = append(out, obj{"__typename": "User", "id": globalID("User", u.ID), "username": u.Username,
				"reviews": append([]any{}, firstReview(rs)...)})
		}
	}
	for _, p := range e.index.Set.Products {
		if len(out) == first {
			break
		}
		if strings.Contains(strings.ToLower(p.Name), text) {
			var rs []any
			for _, r := range e.index.ReviewsByProduct(p.UPC) {
				rs = append(rs, obj{"id": globalID("Review", r.ID)})
			}
			out = append(out, obj{"__typename": "Product", "id": globalID("Product", p.UPC), "upc": p.UPC, "name": p.Name,
				"reviews": append([]any{}, firstReview(rs)...)})
		}
	}
	return out
}

// TestSearch: users first, then products, case-insensitive, at most first; type conditions on both
// members and __typename; one call per service for the search and one per (kind, level) below it.
func TestSearch(t *testing.T) {
	e := newEnv(t)
	const q = `query($text: String!, $first: Int) { search(text: $text, first: $first) {
		__typename
		... on Node { id }
		... on User { username reviews(first: 1) { id } }
		... on Product { upc name reviews(first: 1) { id } }
	} }`
	tests := []struct {
		name      string
		text      string
		first     any // nil: the default, 10
		want      int
		wantCalls map[string]map[string]int
	}{
		// "ti" matches 6 users and 4 products of the seeded data set.
		{name: "users then products", text: "TI", first: 8, want: 8, wantCalls: map[string]map[string]int{
			demo.Accounts: {routeUsers: 1}, demo.Products: {routeProducts: 1}, demo.Reviews: {routeReviews: 2}}},
		{name: "default first", text: "ti", want: 10, wantCalls: map[string]map[string]int{
			demo.Accounts: {routeUsers: 1}, demo.Products: {routeProducts: 1}, demo.Reviews: {routeReviews: 2}}},
		{name: "users only", text: "ti", first: 3, want: 3, wantCalls: map[string]map[string]int{
			demo.Accounts: {routeUsers: 1}, demo.Products: {routeProducts: 1}, demo.Reviews: {routeReviews: 1}}},
		{name: "first: 0 calls nothing", text: "ti", first: 0, want: 0, wantCalls: map[string]map[string]int{}},
		{name: "no match", text: "no such thing", first: 5, want: 0, wantCalls: map[string]map[string]int{
			demo.Accounts: {routeUsers: 1}, demo.Products: {routeProducts: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			vars := map[string]any{"text": tt.text}
			first := 10
			if tt.first != nil {
				vars["first"], first = tt.first, tt.first.(int)
			}
			resp := e.query(t, "", q, vars)
			if resp.Status != http.StatusOK || len(resp.Errors) > 0 {
				t.Fatalf("status %d, errors %+v", resp.Status, resp.Errors)
			}
			want := e.expectedSearch(tt.text, first)
			if len(want) != tt.want {
				t.Fatalf("the data set gives %d results, the test expects %d: pick another text", len(want), tt.want)
			}
			if diff := cmp.Diff(obj{"search": want}, dataOf(t, resp)); diff != "" {
				t.Errorf("search (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, dataCalls(e.cluster.Calls())); diff != "" {
				t.Errorf("upstream calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSearchArguments: text is 1..100 characters and first 0..100, else BAD_USER_INPUT naming the
// argument, with no call.
func TestSearchArguments(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, text string
		first      int
		field      string
	}{
		{"empty text", "", 5, "text"},
		{"long text", strings.Repeat("é", 101), 5, "text"},
		{"negative first", "ti", -1, "first"},
		{"first too large", "ti", 101, "first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			resp := e.query(t, "", `query($t: String!, $f: Int) { search(text: $t, first: $f) { __typename } }`, map[string]any{"t": tt.text, "f": tt.first})
			if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || resp.Errors[0].Extensions["field"] != tt.field {
				t.Fatalf("errors %+v, want one BAD_USER_INPUT about %s", resp.Errors, tt.field)
			}
			if calls := dataCalls(e.cluster.Calls()); len(calls) != 0 {
				t.Errorf("calls %v, want none", calls)
			}
		})
	}
	ok := e.query(t, "", `{ search(text: "`+strings.Repeat("é", 100)+`", first: 100) { __typename } }`, nil)
	if len(ok.Errors) > 0 || string(ok.Data) != `{"search":[]}` {
		t.Errorf("100 characters: data %s, errors %+v", ok.Data, ok.Errors)
	}
}
