package graph

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trellisgw/trellis/graph/errcode"
)

// TestProductionSuggestsNothing sends a misspelt name of every kind gqlparser's rules suggest for:
// development mode answers with a suggestion (so the case reaches the suggesting rule), production
// with the same error, cut before it.
func TestProductionSuggestsNothing(t *testing.T) {
	// hint is what development mode suggests ("" when it suggests nothing: gqlparser does not
	// suggest a variable's type or an inline fragment's).
	tests := []struct{ name, query, hint string }{
		{"field", `{ topProduct { upc } }`, `"topProducts"`},
		{"argument", `{ user(id: "1", idd: "1") { name } }`, `"id"`},
		{"input field", `mutation { placeOrder(input: {itemz: []}) { order { id } } }`, `"items"`},
		{"input field in a list", `mutation { placeOrder(input: {items: [{productUpc: "1", quantiti: 1}]}) { order { id } } }`, `"quantity"`},
		{"directive argument", `{ __typename @include(if: true, iff: true) }`, `"if"`},
		{"fragment type condition", `{ ...F } fragment F on Quer { __typename }`, `"Query"`},
		{"inline fragment type condition", `{ ... on Quer { __typename } }`, ""},
		{"variable type", `query($a: Strin) { user(id: $a) { name } }`, ""},
		{"enum value", `query($s: OrderStatus = PENDIN) { __typename }`, `"PENDING"`},
		{"enum value as a string", `query($s: OrderStatus = "PAID") { __typename }`, `PAID`},
		{"subfields of an object", `{ user(id: "1") { reviews } }`, `"reviews { ... }"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []string{ModeDevelopment, ModeProduction} {
				// gateway.Config.Mode resolves production into HideSuggestions (TestModeReachesThePackages).
				h := newTestHandler(t, Config{Mode: mode}, Deps{HideSuggestions: mode == ModeProduction})
				rec := postQuery(t, h, tt.query, "application/json")
				var resp gqlResponse
				if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Errors) == 0 {
					t.Fatalf("%s: %v %s", mode, err, rec.Body)
				}
				var msgs []string
				for _, e := range resp.Errors {
					msgs = append(msgs, e.Message)
				}
				all := strings.Join(msgs, "\n")
				_, suggestion, suggested := strings.Cut(all, "Did you mean")
				if mode == ModeDevelopment && tt.hint != "" && (!suggested || !strings.Contains(suggestion, tt.hint)) {
					t.Errorf("development: no suggestion of %s: %s", tt.hint, all)
				}
				if mode == ModeProduction && (suggested || (tt.hint != "" && !strings.Contains(tt.query, tt.hint) && strings.Contains(all, tt.hint))) {
					t.Errorf("production suggests: %s", all)
				}
				for _, e := range resp.Errors {
					if e.Extensions["code"] != errcode.ValidationFailed {
						t.Errorf("%s: code %v: %s", mode, e.Extensions["code"], e.Message)
					}
				}
			}
		})
	}
}
