package schemacheck

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func load(t *testing.T, sdl string) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphql", Input: sdl})
	if err != nil {
		t.Fatalf("load %q: %v", sdl, err)
	}
	return s
}

// c is a change without its message, as the table compares them.
type c struct {
	Kind       Kind
	Level      Level
	Coordinate string
}

func TestDiff(t *testing.T) {
	const q = "type Query { a: Int }\n"
	tests := []struct {
		name     string
		old, new string
		want     []c
	}{
		{"no change", q, q, nil},
		// Named types.
		{"type added", q, q + "type User { id: ID }", []c{{TypeAdded, Safe, "User"}}},
		{"type removed", q + "type User { id: ID }", q, []c{{TypeRemoved, Breaking, "User"}}},
		{"type kind changed", q + "type User { id: ID }", q + "interface User { id: ID }", []c{{TypeKindChanged, Breaking, "User"}}},
		{"description added", q + "type U { id: ID }", q + `"a user" type U { id: ID }`, []c{{DescriptionChanged, Safe, "U"}}},
		{"description changed", q + `"x" type U { id: ID }`, q + `"y" type U { id: ID }`, []c{{DescriptionChanged, Safe, "U"}}},
		{"description removed", q + `"x" type U { id: ID }`, q + `type U { id: ID }`, []c{{DescriptionChanged, Safe, "U"}}},
		{"field description", q + `type U { "x" id: ID }`, q + `type U { "y" id: ID }`, []c{{DescriptionChanged, Safe, "U.id"}}},
		{"scalar specifiedBy", q + "scalar Date", q + `scalar Date @specifiedBy(url: "https://x")`, []c{{ScalarSpecifiedByChanged, Dangerous, "Date"}}},
		// Schema roots.
		{"mutation root added", q, q + "type Mutation { m: Int }", []c{{SchemaMutationTypeChanged, Safe, "Mutation"}, {TypeAdded, Safe, "Mutation"}}},
		{"subscription root replaced", q + "type Subscription { s: Int } type S2 { s: Int }", "schema { query: Query subscription: S2 }\n" + q + "type Subscription { s: Int } type S2 { s: Int }",
			[]c{{SchemaSubscriptionTypeChanged, Breaking, "S2"}}},
		{"mutation root removed", q + "type Mutation { m: Int }", q, []c{{SchemaMutationTypeChanged, Breaking, "Mutation"}, {TypeRemoved, Breaking, "Mutation"}}},
		{"query root changed", "schema { query: Q } type Q { a: Int } type R { a: Int }", "schema { query: R } type Q { a: Int } type R { a: Int }",
			[]c{{SchemaQueryTypeChanged, Breaking, "R"}}},
		// Output fields.
		{"field added", q + "type U { id: ID }", q + "type U { id: ID name: String }", []c{{FieldAdded, Safe, "U.name"}}},
		{"field removed", q + "type U { id: ID name: String }", q + "type U { id: ID }", []c{{FieldRemoved, Breaking, "U.name"}}},
		{"deprecated field removed", q + `type U { id: ID name: String @deprecated(reason: "use id") }`, q + "type U { id: ID }", []c{{FieldRemoved, Breaking, "U.name"}}},
		{"interface field removed", q + "interface N { id: ID name: String }", q + "interface N { id: ID }", []c{{FieldRemoved, Breaking, "N.name"}}},
		{"field nullability tightened", q + "type U { id: ID }", q + "type U { id: ID! }", []c{{FieldTypeChanged, Safe, "U.id"}}},
		{"field nullability loosened", q + "type U { id: ID! }", q + "type U { id: ID }", []c{{FieldTypeChanged, Breaking, "U.id"}}},
		{"field list element tightened", q + "type U { ids: [ID] }", q + "type U { ids: [ID!]! }", []c{{FieldTypeChanged, Safe, "U.ids"}}},
		{"field list element loosened", q + "type U { ids: [ID!] }", q + "type U { ids: [ID] }", []c{{FieldTypeChanged, Breaking, "U.ids"}}},
		{"field type renamed", q + "type U { id: ID }", q + "type U { id: String }", []c{{FieldTypeChanged, Breaking, "U.id"}}},
		{"field became a list", q + "type U { id: ID }", q + "type U { id: [ID] }", []c{{FieldTypeChanged, Breaking, "U.id"}}},
		{"deprecation added", q + "type U { id: ID }", q + "type U { id: ID @deprecated }", []c{{FieldDeprecationAdded, Safe, "U.id"}}},
		{"deprecation removed", q + "type U { id: ID @deprecated }", q + "type U { id: ID }", []c{{FieldDeprecationRemoved, Dangerous, "U.id"}}},
		{"deprecation reason changed", q + `type U { id: ID @deprecated(reason: "a") }`, q + `type U { id: ID @deprecated(reason: "b") }`, []c{{FieldDeprecationReasonChanged, Safe, "U.id"}}},
		// Arguments.
		{"required argument added", q + "type U { f: Int }", q + "type U { f(x: Int!): Int }", []c{{FieldArgumentAdded, Breaking, "U.f(x:)"}}},
		{"optional argument added", q + "type U { f: Int }", q + "type U { f(x: Int): Int }", []c{{FieldArgumentAdded, Dangerous, "U.f(x:)"}}},
		{"non-null argument with default added", q + "type U { f: Int }", q + "type U { f(x: Int! = 1): Int }", []c{{FieldArgumentAdded, Dangerous, "U.f(x:)"}}},
		{"argument removed", q + "type U { f(x: Int): Int }", q + "type U { f: Int }", []c{{FieldArgumentRemoved, Breaking, "U.f(x:)"}}},
		{"argument loosened", q + "type U { f(x: Int!): Int }", q + "type U { f(x: Int): Int }", []c{{FieldArgumentTypeChanged, Safe, "U.f(x:)"}}},
		{"argument tightened", q + "type U { f(x: Int): Int }", q + "type U { f(x: Int!): Int }", []c{{FieldArgumentTypeChanged, Breaking, "U.f(x:)"}}},
		{"argument list loosened", q + "type U { f(x: [Int!]!): Int }", q + "type U { f(x: [Int]): Int }", []c{{FieldArgumentTypeChanged, Safe, "U.f(x:)"}}},
		{"argument type renamed", q + "type U { f(x: Int): Int }", q + "type U { f(x: Float): Int }", []c{{FieldArgumentTypeChanged, Breaking, "U.f(x:)"}}},
		{"argument default changed", q + "type U { f(x: Int = 1): Int }", q + "type U { f(x: Int = 2): Int }", []c{{FieldArgumentDefaultChanged, Dangerous, "U.f(x:)"}}},
		{"argument default added", q + "type U { f(x: Int): Int }", q + "type U { f(x: Int = 2): Int }", []c{{FieldArgumentDefaultChanged, Dangerous, "U.f(x:)"}}},
		{"argument description", q + `type U { f("a" x: Int): Int }`, q + `type U { f("b" x: Int): Int }`, []c{{DescriptionChanged, Safe, "U.f(x:)"}}},
		{"argument deprecated", q + "type U { f(x: Int): Int }", q + "type U { f(x: Int @deprecated): Int }", []c{{InputValueDeprecationAdded, Safe, "U.f(x:)"}}},
		{"input field undeprecated", q + "input I { a: Int @deprecated }", q + "input I { a: Int }", []c{{InputValueDeprecationRemoved, Dangerous, "I.a"}}},
		{"argument deprecation reason", q + `type U { f(x: Int @deprecated(reason: "a")): Int }`, q + `type U { f(x: Int @deprecated(reason: "b")): Int }`,
			[]c{{InputValueDeprecationReasonChanged, Safe, "U.f(x:)"}}},
		// Interfaces.
		{"interface added to object", q + "interface N { id: ID } type U { id: ID }", q + "interface N { id: ID } type U implements N { id: ID }",
			[]c{{ObjectTypeInterfaceAdded, Dangerous, "U"}}},
		{"interface removed from object", q + "interface N { id: ID } type U implements N { id: ID }", q + "interface N { id: ID } type U { id: ID }",
			[]c{{ObjectTypeInterfaceRemoved, Breaking, "U"}}},
		{"interface removed from interface", q + "interface N { id: ID } interface M implements N { id: ID }", q + "interface N { id: ID } interface M { id: ID }",
			[]c{{ObjectTypeInterfaceRemoved, Breaking, "M"}}},
		// Unions.
		{"union member added", q + "type A { a: Int } type B { b: Int } union S = A", q + "type A { a: Int } type B { b: Int } union S = A | B",
			[]c{{UnionMemberAdded, Dangerous, "S"}}},
		{"union member removed", q + "type A { a: Int } type B { b: Int } union S = A | B", q + "type A { a: Int } type B { b: Int } union S = A",
			[]c{{UnionMemberRemoved, Breaking, "S"}}},
		// Enums.
		{"enum value added", q + "enum E { A }", q + "enum E { A B }", []c{{EnumValueAdded, Dangerous, "E.B"}}},
		{"enum value removed", q + "enum E { A B }", q + "enum E { A }", []c{{EnumValueRemoved, Breaking, "E.B"}}},
		{"enum value deprecated", q + "enum E { A B }", q + "enum E { A B @deprecated }", []c{{EnumValueDeprecationAdded, Safe, "E.B"}}},
		{"enum value undeprecated", q + "enum E { A B @deprecated }", q + "enum E { A B }", []c{{EnumValueDeprecationRemoved, Dangerous, "E.B"}}},
		{"enum value deprecation reason", q + `enum E { A @deprecated(reason: "x") }`, q + `enum E { A @deprecated(reason: "y") }`, []c{{EnumValueDeprecationReasonChanged, Safe, "E.A"}}},
		{"enum value description", q + `enum E { "x" A }`, q + `enum E { "y" A }`, []c{{DescriptionChanged, Safe, "E.A"}}},
		// Input objects.
		{"required input field added", q + "input I { a: Int }", q + "input I { a: Int b: Int! }", []c{{InputFieldAdded, Breaking, "I.b"}}},
		{"optional input field added", q + "input I { a: Int }", q + "input I { a: Int b: Int }", []c{{InputFieldAdded, Dangerous, "I.b"}}},
		{"non-null input field with default added", q + "input I { a: Int }", q + "input I { a: Int b: Int! = 3 }", []c{{InputFieldAdded, Dangerous, "I.b"}}},
		{"input field removed", q + "input I { a: Int b: Int }", q + "input I { a: Int }", []c{{InputFieldRemoved, Breaking, "I.b"}}},
		{"input field loosened", q + "input I { a: Int! }", q + "input I { a: Int }", []c{{InputFieldTypeChanged, Safe, "I.a"}}},
		{"input field tightened", q + "input I { a: Int }", q + "input I { a: Int! }", []c{{InputFieldTypeChanged, Breaking, "I.a"}}},
		{"input field default changed", q + "input I { a: Int = 1 }", q + "input I { a: Int = 2 }", []c{{InputFieldDefaultValueChanged, Dangerous, "I.a"}}},
		{"input became oneOf", q + "input I { a: Int b: Int }", q + "input I @oneOf { a: Int b: Int }", []c{{InputObjectOneOfAdded, Breaking, "I"}}},
		{"input no longer oneOf", q + "input I @oneOf { a: Int b: Int }", q + "input I { a: Int b: Int }", []c{{InputObjectOneOfRemoved, Dangerous, "I"}}},
		// Directive definitions.
		{"directive added", q, q + "directive @d on FIELD", []c{{DirectiveAdded, Safe, "@d"}}},
		{"directive removed", q + "directive @d on FIELD", q, []c{{DirectiveRemoved, Breaking, "@d"}}},
		{"directive location added", q + "directive @d on FIELD", q + "directive @d on FIELD | QUERY", []c{{DirectiveLocationAdded, Safe, "@d"}}},
		{"directive location removed", q + "directive @d on FIELD | QUERY", q + "directive @d on FIELD", []c{{DirectiveLocationRemoved, Breaking, "@d"}}},
		{"directive became repeatable", q + "directive @d on FIELD", q + "directive @d repeatable on FIELD", []c{{DirectiveRepeatableAdded, Safe, "@d"}}},
		{"directive no longer repeatable", q + "directive @d repeatable on FIELD", q + "directive @d on FIELD", []c{{DirectiveRepeatableRemoved, Breaking, "@d"}}},
		{"directive required argument added", q + "directive @d on FIELD", q + "directive @d(x: Int!) on FIELD", []c{{DirectiveArgumentAdded, Breaking, "@d(x:)"}}},
		{"directive optional argument added", q + "directive @d on FIELD", q + "directive @d(x: Int) on FIELD", []c{{DirectiveArgumentAdded, Safe, "@d(x:)"}}},
		{"directive argument removed", q + "directive @d(x: Int) on FIELD", q + "directive @d on FIELD", []c{{DirectiveArgumentRemoved, Breaking, "@d(x:)"}}},
		{"directive argument tightened", q + "directive @d(x: Int) on FIELD", q + "directive @d(x: Int!) on FIELD", []c{{DirectiveArgumentTypeChanged, Breaking, "@d(x:)"}}},
		{"directive argument default changed", q + "directive @d(x: Int = 1) on FIELD", q + "directive @d(x: Int = 2) on FIELD", []c{{DirectiveArgumentDefaultValueChanged, Dangerous, "@d(x:)"}}},
		{"directive description", q + `"a" directive @d on FIELD`, q + `"b" directive @d on FIELD`, []c{{DescriptionChanged, Safe, "@d"}}},
		// Directives applied to the schema's elements.
		{"directive applied to a field", "directive @auth on FIELD_DEFINITION\n" + q + "type U { id: ID }", "directive @auth on FIELD_DEFINITION\n" + q + "type U { id: ID @auth }",
			[]c{{DirectiveUsageAdded, Dangerous, "U.id"}}},
		{"directive removed from a type", "directive @auth on OBJECT\n" + q + "type U @auth { id: ID }", "directive @auth on OBJECT\n" + q + "type U { id: ID }",
			[]c{{DirectiveUsageRemoved, Dangerous, "U"}}},
		{"applied directive's arguments changed", "directive @cost(weight: String!) on FIELD_DEFINITION\n" + q + `type U { id: ID @cost(weight: "1") }`,
			"directive @cost(weight: String!) on FIELD_DEFINITION\n" + q + `type U { id: ID @cost(weight: "2") }`,
			[]c{{DirectiveUsageChanged, Dangerous, "U.id"}}},
		// Several changes come worst first.
		{"order", q + "type U { id: ID name: String } enum E { A }", q + "type U { id: ID email: String } enum E { A B }", []c{
			{FieldRemoved, Breaking, "U.name"}, {EnumValueAdded, Dangerous, "E.B"}, {FieldAdded, Safe, "U.email"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []c
			for _, ch := range Diff(load(t, tt.old), load(t, tt.new)) {
				got = append(got, c{ch.Kind, ch.Level, ch.Coordinate})
				if ch.Message == "" {
					t.Errorf("%v: no message", ch)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Diff (-got +want):\n%s", diff)
			}
		})
	}
}

func TestDiffMessages(t *testing.T) {
	const q = "type Query { a: Int }\n"
	r := Diff(load(t, q+`type U { id: ID name: String @deprecated(reason: "use id") f(x: Int): Int }`), load(t, q+"type U { id: ID f(x: Int!): Int }"))
	var lines []string
	for _, ch := range r {
		lines = append(lines, ch.String())
	}
	want := []string{
		"breaking  FIELD_ARGUMENT_TYPE_CHANGED U.f(x:): argument U.f(x:) changed type from Int to Int!",
		"breaking  FIELD_REMOVED U.name: field U.name (deprecated: use id) was removed",
	}
	if diff := cmp.Diff(lines, want); diff != "" {
		t.Errorf("messages (-got +want):\n%s", diff)
	}
	if r.Count(Breaking) != 2 || r.Count(Safe) != 0 {
		t.Errorf("Count = %d breaking, %d safe; want 2, 0", r.Count(Breaking), r.Count(Safe))
	}
}

// Every kind declared is produced by some row of TestDiff's table (checked by name in kinds.go's
// constants): a new kind without a test fails here.
func TestEveryKindTested(t *testing.T) {
	src := readFile(t, "kinds.go") + readFile(t, "diff_test.go")
	for _, line := range strings.Split(readFile(t, "kinds.go"), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "Kind" && f[2] == "=" {
			if strings.Count(src, "{"+f[0]+",") == 0 {
				t.Errorf("kind %s has no row in TestDiff", f[0])
			}
		}
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
