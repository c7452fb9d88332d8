package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/generated"
)

// coercionOp declares a variable of every kind of input type of the schema.
const coercionOp = `query($i: Int, $f: Float, $s: String, $b: Boolean, $id: ID, $e: OrderStatus, $in: PlaceOrderInput,
  $l: [Int!], $nl: [[Int]], $nn: Int!, $d: Int = 3, $dn: Int! = 4) { __typename }`

func coercionFixture(t testing.TB) (*ast.Schema, *ast.OperationDefinition) {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: coercionOp})
	if err != nil {
		t.Fatal(err)
	}
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	validator.Walk(schema, doc, &validator.Events{}) // annotates the definitions, as validation does
	return schema, doc.Operations[0]
}

// decodeVariables decodes as the transport does (numbers as json.Number).
func decodeVariables(t testing.TB, s string) (map[string]any, bool) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil || v == nil {
		return nil, false
	}
	return v, true
}

func TestCoerceVariables(t *testing.T) {
	schema, op := coercionFixture(t)
	item := `{"productUpc": "p1", "quantity": 2}`
	tests := []struct {
		name, vars string
		want       map[string]any // besides nn: 1
		wantErr    string
	}{
		{name: "Int", vars: `{"i": 5}`, want: map[string]any{"i": int64(5)}},
		{name: "Int, negative bound", vars: `{"i": -2147483648}`, want: map[string]any{"i": int64(-2147483648)}},
		{name: "Int from a string", vars: `{"i": "5"}`, wantErr: `Variable "$i" got invalid value "5"; Int cannot represent non-integer value: "5"`},
		{name: "Int with a fraction", vars: `{"i": 5.5}`, wantErr: `Variable "$i" got invalid value 5.5; Int cannot represent non-integer value: 5.5`},
		{name: "Int with an exponent", vars: `{"i": 1e1}`, wantErr: `Variable "$i" got invalid value 1e1; Int cannot represent non-integer value: 1e1`},
		{name: "Int 1e400", vars: `{"i": 1e400}`, wantErr: `Int cannot represent non-integer value: 1e400`},
		{name: "Int over 32 bits", vars: `{"i": 2147483648}`, wantErr: `Int cannot represent non 32-bit signed integer value: 2147483648`},
		{name: "Int over 64 bits", vars: `{"i": 99999999999999999999}`, wantErr: `Int cannot represent non 32-bit signed integer value: 99999999999999999999`},
		{name: "Int from a boolean", vars: `{"i": true}`, wantErr: `Int cannot represent non-integer value: true`},
		{name: "Float from an int", vars: `{"f": 5}`, want: map[string]any{"f": 5.0}},
		{name: "Float", vars: `{"f": -1.5e3}`, want: map[string]any{"f": -1500.0}},
		{name: "Float 1e400", vars: `{"f": 1e400}`, wantErr: `Variable "$f" got invalid value 1e400; Float cannot represent a number out of range: 1e400`},
		{name: "Float from a string", vars: `{"f": "1.5"}`, wantErr: `Float cannot represent non numeric value: "1.5"`},
		{name: "String", vars: `{"s": "x"}`, want: map[string]any{"s": "x"}},
		{name: "String from a number", vars: `{"s": 5}`, wantErr: `String cannot represent a non string value: 5`},
		{name: "Boolean", vars: `{"b": false}`, want: map[string]any{"b": false}},
		{name: "Boolean from a string", vars: `{"b": "true"}`, wantErr: `Boolean cannot represent a non boolean value: "true"`},
		{name: "ID from a string", vars: `{"id": "u1"}`, want: map[string]any{"id": "u1"}},
		{name: "ID from an int", vars: `{"id": 12345678901234567890}`, want: map[string]any{"id": "12345678901234567890"}},
		{name: "ID from a float", vars: `{"id": 1.5}`, wantErr: `ID cannot represent a non-string and non-integer value: 1.5`},
		{name: "enum", vars: `{"e": "PAID"}`, want: map[string]any{"e": "PAID"}},
		{name: "enum in another case", vars: `{"e": "paid"}`, wantErr: `Variable "$e" got invalid value "paid"; Value is not a value of the enum "OrderStatus".`},
		{name: "enum from a number", vars: `{"e": 1}`, wantErr: `Value is not a value of the enum "OrderStatus".`},
		{name: "input object", vars: `{"in": {"items": [` + item + `]}}`,
			want: map[string]any{"in": map[string]any{"items": []any{map[string]any{"productUpc": "p1", "quantity": int64(2)}}}}},
		{name: "input object, unknown field", vars: `{"in": {"items": [], "coupon": "x"}}`,
			wantErr: `Variable "$in" got invalid value {"coupon":"x","items":[]}; Field "coupon" is not defined by type "PlaceOrderInput".`},
		{name: "input object, field inside a list", vars: `{"in": {"items": [` + item + `, {"productUpc": "p1", "quantity": "2"}]}}`,
			wantErr: `Variable "$in" got invalid value "2" at "in.items[1].quantity"; Int cannot represent non-integer value: "2"`},
		{name: "input object, required field left out", vars: `{"in": {"items": [{"quantity": 1}]}}`,
			wantErr: `at "in.items[0]"; Field "productUpc" of required type "ID!" was not provided.`},
		{name: "input object, required field null", vars: `{"in": {"items": null}}`,
			wantErr: `at "in.items"; Expected non-nullable type "[OrderItemInput!]!" not to be null.`},
		{name: "input object from a list", vars: `{"in": []}`, wantErr: `Expected type "PlaceOrderInput" to be an object.`},
		{name: "list", vars: `{"l": [1, 2]}`, want: map[string]any{"l": []any{int64(1), int64(2)}}},
		{name: "one value as a list", vars: `{"l": 1}`, want: map[string]any{"l": []any{int64(1)}}},
		{name: "list, null item", vars: `{"l": [1, null]}`, wantErr: `got invalid value null at "l[1]"; Expected non-nullable type "Int!" not to be null.`},
		{name: "nested list", vars: `{"nl": [[1, null], 2]}`, want: map[string]any{"nl": []any{[]any{int64(1), nil}, []any{int64(2)}}}},
		{name: "null for a nullable variable", vars: `{"i": null}`, want: map[string]any{"i": nil}},
		{name: "required variable left out", vars: `{}`, wantErr: `Variable "$nn" of required type "Int!" was not provided.`},
		{name: "required variable null", vars: `{"nn": null}`, wantErr: `Variable "$nn" of non-null type "Int!" must not be null.`},
		{name: "default left to the executor", vars: `{}`, want: map[string]any{}},
		{name: "null instead of a default", vars: `{"d": null}`, want: map[string]any{"d": nil}},
		{name: "null for a non-null variable with a default", vars: `{"dn": null}`, wantErr: `Variable "$dn" of non-null type "Int!" must not be null.`},
		{name: "undeclared variables left out", vars: `{"zz": 1}`, want: map[string]any{}},
		{name: "a long value is quoted short", vars: `{"s": ["` + strings.Repeat("é", 100) + `"]}`,
			wantErr: `Variable "$s" got invalid value ["` + strings.Repeat("é", 19) + `…; String cannot`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars, ok := decodeVariables(t, tt.vars)
			if !ok {
				t.Fatal("bad test JSON")
			}
			if _, given := vars["nn"]; !given && !strings.Contains(tt.wantErr, "$nn") {
				vars["nn"] = json.Number("1")
			}
			got, err := coerceVariables(schema, op, vars)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Message, tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				if err.Extensions["code"] != errcode.ValidationFailed || len(err.Locations) != 1 {
					t.Errorf("error %v %v", err.Extensions, err.Locations)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && got["nn"] == int64(1) {
				tt.want["nn"] = int64(1)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
			if _, err := validator.VariableValues(schema, op, got); err != nil {
				t.Errorf("gqlparser refuses the coerced values: %v", err)
			}
		})
	}
}

// TestVariableErrorsOverHTTP checks the status and the error of a refused variable, and the choice of
// the operation, through the handler.
func TestVariableErrorsOverHTTP(t *testing.T) {
	tests := []struct {
		name, body, wantMsg string
	}{
		{"a string for an Int", `{"query": "query($n: Int!) { topProducts(first: $n) { upc } }", "variables": {"n": "5"}}`,
			`Variable "$n" got invalid value "5"; Int cannot represent non-integer value: "5"`},
		{"an input object's field", `{"query": "mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id } } }", "variables": {"in": {"items": [{"productUpc": "p1", "quantity": 1e400}]}}}`,
			`Variable "$in" got invalid value 1e400 at "in.items[0].quantity"; Int cannot represent non-integer value: 1e400`},
		{"two anonymous operations", `{"query": "{ a: __typename } { b: __typename }"}`, "This anonymous operation must be the only defined operation."},
		{"two operations, no operationName", `{"query": "query A { __typename } query B { __typename }"}`,
			"the document has 2 operations: operationName must name the one to run"},
		{"an unknown operationName", `{"query": "query A { __typename }", "operationName": "C"}`, `the document has no operation named "C"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, Config{}, Deps{})
			for _, accept := range []string{"application/graphql-response+json", "application/json"} {
				req, _ := http.NewRequest(http.MethodPost, "/graphql", bytes.NewReader([]byte(tt.body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", accept)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				wantStatus := map[bool]int{true: http.StatusBadRequest, false: http.StatusOK}[accept != "application/json"]
				var resp gqlResponse
				if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Errors) == 0 {
					t.Fatalf("%s: %v %s", accept, err, rec.Body)
				}
				if rec.Code != wantStatus || resp.Data != nil || resp.Errors[0].Message != tt.wantMsg ||
					resp.Errors[0].Extensions["code"] != errcode.ValidationFailed {
					t.Errorf("%s: %d %s, want %d and %q", accept, rec.Code, rec.Body, wantStatus, tt.wantMsg)
				}
			}
		})
	}
}

// FuzzCoerceVariables coerces arbitrary JSON: never a panic; what it accepts gqlparser accepts as
// well, and coercing it again changes nothing.
func FuzzCoerceVariables(f *testing.F) {
	for _, s := range []string{`{"i": 5, "nn": 1}`, `{"f": 1e400, "nn": 1}`, `{"in": {"items": [{"productUpc": 1, "quantity": 2}]}, "nn": 0}`,
		`{"l": [1, null], "nl": [[1], 2, [[3]]], "nn": -1}`, `{"id": 1.0, "e": "PAID", "nn": 2147483647}`, `{"nn": "1"}`, `{}`} {
		f.Add(s)
	}
	schema, op := coercionFixture(f)
	f.Fuzz(func(t *testing.T, s string) {
		vars, ok := decodeVariables(t, s)
		if !ok {
			return
		}
		got, err := coerceVariables(schema, op, vars)
		if err != nil {
			if err.Extensions["code"] != errcode.ValidationFailed || !strings.HasPrefix(err.Message, `Variable "$`) {
				t.Fatalf("error %v", err)
			}
			return
		}
		given, _ := deepCopy(got).(map[string]any) // VariableValues sets values into the maps it is given
		executors, verr := validator.VariableValues(schema, op, given)
		if verr != nil {
			t.Fatalf("gqlparser refuses %v (from %s): %v", got, s, verr)
		}
		// The executor's coercion changes nothing but the defaults it fills in (operationContexts
		// leaves it out where there are none to fill).
		for _, v := range op.VariableDefinitions {
			if _, given := got[v.Variable]; !given && v.DefaultValue != nil {
				delete(executors, v.Variable)
			}
		}
		if diff := cmp.Diff(executors, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("gqlparser's coercion of %s changed (-gqlparser +ours):\n%s", s, diff)
		}
		again, err := coerceVariables(schema, op, got)
		if err != nil {
			t.Fatalf("coercing %v again: %v", got, err)
		}
		if diff := cmp.Diff(again, got); diff != "" {
			t.Fatalf("coercing again changed (-again +first):\n%s", diff)
		}
	})
}

// When coercion changes nothing, the request's own map is the result; otherwise a new map holds the
// declared variables only, and the request's map is left as it was.
func TestCoerceVariablesReusesUnchanged(t *testing.T) {
	doc, perr := parser.ParseQuery(&ast.Source{Input: `query($s: String, $id: ID!, $b: Boolean, $e: OrderStatus, $i: Int) { __typename }`})
	if perr != nil {
		t.Fatal(perr)
	}
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	validator.Walk(schema, doc, &validator.Events{})
	op := doc.Operations[0]
	tests := []struct {
		name      string
		vars      map[string]any
		want      map[string]any
		wantSame  bool // the result is vars itself
		wantAfter map[string]any
	}{
		{name: "strings and booleans", vars: map[string]any{"s": "x", "id": "7", "b": true, "e": "PENDING"},
			want: map[string]any{"s": "x", "id": "7", "b": true, "e": "PENDING"}, wantSame: true},
		{name: "a value coerced", vars: map[string]any{"s": "x", "id": json.Number("7"), "b": false},
			want: map[string]any{"s": "x", "id": "7", "b": false}},
		{name: "coerced after kept ones", vars: map[string]any{"s": "x", "id": "7", "i": json.Number("3")},
			want: map[string]any{"s": "x", "id": "7", "i": int64(3)}},
		{name: "an undeclared variable", vars: map[string]any{"id": "7", "other": "y"},
			want: map[string]any{"id": "7"}},
		{name: "a null", vars: map[string]any{"id": "7", "s": nil}, want: map[string]any{"id": "7", "s": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := make(map[string]any, len(tt.vars))
			for k, v := range tt.vars {
				before[k] = v
			}
			got, err := coerceVariables(schema, op, tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
			got["mutated"] = true // the result is the caller's to change...
			if same := tt.vars["mutated"] != nil; same != tt.wantSame {
				t.Errorf("result is the request's map: %v, want %v", same, tt.wantSame)
			}
			if !tt.wantSame {
				if diff := cmp.Diff(tt.vars, before); diff != "" { // ...and a new one leaves the request's alone
					t.Errorf("request's variables changed (-got +want):\n%s", diff)
				}
			}
		})
	}
}

// deepCopy copies the maps and lists of a decoded JSON value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}
