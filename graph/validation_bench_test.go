package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/generated"
)

// worstCaseDocuments are the documents within the default limits (2 000 fields, 5 000 tokens) that
// cost gqlparser's OverlappingFieldsCanBeMerged the most: many fields of one response name, the
// same, with differing arguments (every pair conflicts), with subselections, and spread from
// fragments.
func worstCaseDocuments() []struct{ name, query string } {
	var args, spreads strings.Builder
	for i := range 550 {
		fmt.Fprintf(&args, "reviews(first: %d) { id } ", i)
	}
	for range 180 {
		spreads.WriteString("...F ")
	}
	return []struct{ name, query string }{
		{"1 999 copies of a field", `{ user(id: "1") { ` + strings.Repeat("name ", 1999) + `} }`},
		{"550 copies with differing arguments", `{ user(id: "1") { ` + args.String() + `} }`},
		{"999 copies with a subselection", `{ user(id: "1") { ` + strings.Repeat("reviews { id } ", 999) + `} }`},
		{"180 spreads of a 10-field fragment", `{ user(id: "1") { ` + spreads.String() + `} } fragment F on User { ` +
			strings.Repeat("name ", 5) + strings.Repeat("reviews { id } ", 2) + ` }`},
	}
}

// BenchmarkValidateWorstCase validates each worst case as the gateway does (documents.load: limits,
// then the rules with fieldsCanMergeRule) and, for comparison, with gqlparser's default rules.
func BenchmarkValidateWorstCase(b *testing.B) {
	s := generated.NewExecutableSchema(generated.Config{}).Schema()
	docs := documents{schema: s, tokenLimit: 5000, limits: Limits{}.withDefaults()}
	for _, tt := range worstCaseDocuments() {
		b.Run("gateway/"+tt.name, func(b *testing.B) {
			for b.Loop() {
				if _, errs := docs.load(context.Background(), tt.query); len(errs) > 0 && errcode.Code(errs[0]) != errcode.ValidationFailed {
					b.Fatal(errs)
				}
			}
		})
		b.Run("gqlparser/"+tt.name, func(b *testing.B) {
			for b.Loop() {
				doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: tt.query}, 5000)
				if err != nil {
					b.Fatal(err)
				}
				_ = validator.ValidateWithRules(s, doc, rules.NewDefaultRules())
			}
		})
	}
}
