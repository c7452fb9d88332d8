package graph

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
	"gopkg.in/yaml.v3"

	"github.com/trellisgw/trellis/graph/generated"
)

// specDir is gqlparser's copy of graphql-js's validation tests, in the module cache.
func specDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/vektah/gqlparser/v2").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "validator", "imported", "spec")
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// validateOverlap runs one overlap rule alone over query.
func validateOverlap(t testing.TB, s *ast.Schema, query string, rule validator.Rule) gqlerror.List {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, query)
	}
	return validator.ValidateWithRules(s, doc, rules.NewRules(rule))
}

// TestFieldsCanMergeAgreesWithGraphQLJS runs the rule over graphql-js's own tests of
// OverlappingFieldsCanBeMerged (as gqlparser imports them): each case must be refused exactly when
// graphql-js refuses it, with the same number of conflicts at most.
func TestFieldsCanMergeAgreesWithGraphQLJS(t *testing.T) {
	dir := specDir(t)
	var sdls []string
	readYAML(t, filepath.Join(dir, "schemas.yml"), &sdls)
	schemas := make([]*ast.Schema, len(sdls))
	for i, sdl := range sdls {
		s, err := gqlparser.LoadSchema(&ast.Source{Input: sdl})
		if err != nil {
			t.Fatal(err)
		}
		schemas[i] = s
	}
	var specs []struct {
		Name   string
		Schema int
		Query  string
		Errors []struct {
			Message string
		}
	}
	readYAML(t, filepath.Join(dir, "OverlappingFieldsCanBeMergedRule.spec.yml"), &specs)
	if len(specs) < 40 {
		t.Fatalf("only %d cases read", len(specs))
	}
	for _, spec := range specs {
		t.Run(spec.Name, func(t *testing.T) {
			got := validateOverlap(t, schemas[spec.Schema], spec.Query, fieldsCanMergeRule)
			if (len(got) > 0) != (len(spec.Errors) > 0) {
				t.Errorf("got %d errors %v, graphql-js %d %v\n%s", len(got), got, len(spec.Errors), spec.Errors, spec.Query)
			}
		})
	}
}

// TestValidationWithinLimitsIsFast validates the worst documents within the default limits: each
// takes a few milliseconds (gqlparser's own rule took 250–330 ms for each of the first three, many
// seconds under -race). The bound is loose, for a shared machine and the race detector.
func TestValidationWithinLimitsIsFast(t *testing.T) {
	docs := documents{schema: generated.NewExecutableSchema(generated.Config{}).Schema(), tokenLimit: 5000,
		limits: Limits{}.withDefaults()}
	for _, tt := range worstCaseDocuments() {
		t.Run(tt.name, func(t *testing.T) {
			best := time.Hour
			for range 3 {
				start := time.Now()
				_, errs := docs.load(context.Background(), tt.query)
				best = min(best, time.Since(start))
				if len(errs) > 0 && errs[0].Extensions["limit"] != nil {
					t.Fatalf("refused by a limit: %v", errs[0])
				}
			}
			if best > 150*time.Millisecond {
				t.Errorf("validation took %s", best)
			}
		})
	}
}

// TestFieldsCanMergeOnTheSchema compares fieldsCanMergeRule with gqlparser's rule on documents of
// the gateway's schema: both refuse the same ones, and the new one once per response name.
func TestFieldsCanMergeOnTheSchema(t *testing.T) {
	s := generated.NewExecutableSchema(generated.Config{}).Schema()
	for _, tt := range []struct {
		query     string
		conflicts int
	}{
		{`{ user(id: "1") { name name } }`, 0},
		{`{ user(id: "1") { name: username name } }`, 1},
		{`{ a: user(id: "1") { name } a: user(id: "2") { name } a: user(id: "3") { name } }`, 1},
		{`{ user(id: "1") { reviews { id } reviews { body } } }`, 0},
		{`{ user(id: "1") { reviews { x: id } reviews { x: body } } }`, 1},
		{`{ user(id: "1") { reviews(first: 1) { id } reviews(first: 2) { id } } }`, 1},
		{`{ user(id: "1") { reviews(first: 1) { id } reviews(first: 1) { id } } }`, 0},
		{`query($a: Int) { user(id: "1") { reviews(first: $a) { id } reviews(first: $a) { id } } }`, 0},
		{`query($a: Int) { user(id: "1") { reviews(first: $a) { id } reviews(first: 1) { id } } }`, 1},
		{`{ user(id: "1") { ...F x: name } } fragment F on User { x: username }`, 1},
		{`{ user(id: "1") { ...F ...F } } fragment F on User { x: username }`, 0},
		{`{ user(id: "1") { id: name } product(upc: "p1") { x: upc } }`, 0},
		{`{ x: user(id: "1") { id } x: product(upc: "p1") { upc } }`, 1},
		{`{ x: __typename x: __typename }`, 0},
		{`{ user(id: "1") { x: reviews { id } x: name } }`, 1},
		{`{ user(id: "1") { ... on User { x: name } ... on User { x: id } } }`, 1},
		{`mutation { placeOrder(input: {items: [{productUpc: "a", quantity: 1}]}) { order { id } } placeOrder(input: {items: [{productUpc: "a", quantity: 2}]}) { order { id } } }`, 1},
		{`mutation { placeOrder(input: {items: [{productUpc: "a", quantity: 1}]}) { order { id } } placeOrder(input: {items: [{quantity: 1, productUpc: "a"}]}) { order { id } } }`, 0},
	} {
		ours := validateOverlap(t, s, tt.query, fieldsCanMergeRule)
		theirs := validateOverlap(t, s, tt.query, rules.OverlappingFieldsCanBeMergedRule)
		if len(ours) != tt.conflicts || (len(ours) > 0) != (len(theirs) > 0) {
			t.Errorf("%s\n got %d errors %v\ngqlparser %d %v", tt.query, len(ours), ours, len(theirs), theirs)
		}
	}
}

// FuzzFieldsCanMerge checks that fieldsCanMergeRule refuses exactly the documents gqlparser's
// OverlappingFieldsCanBeMerged refuses, among those every other rule accepts.
func FuzzFieldsCanMerge(f *testing.F) {
	s := generated.NewExecutableSchema(generated.Config{}).Schema()
	for _, q := range []string{
		`{ user(id: "1") { name name: username } }`,
		`{ user(id: "1") { ...F reviews { x: id } } } fragment F on User { reviews { x: body } }`,
		`{ user(id: "1") { reviews(first: 1) { id } reviews(first: 2) { id } } }`,
		`{ topProducts { upc reviews { author { name } } reviews { author { x: name } } } }`,
		`{ a: product(upc: "1") { name } a: product(upc: "1") { price } }`,
	} {
		f.Add(q)
	}
	others := rules.NewDefaultRules()
	others.RemoveRule(rules.OverlappingFieldsCanBeMergedRule.Name)
	f.Fuzz(func(t *testing.T, query string) {
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, 500)
		if err != nil || len(doc.Operations) == 0 || checkLimits(doc, Limits{}.withDefaults()) != nil {
			return
		}
		if errs := validator.ValidateWithRules(s, doc, others); len(errs) > 0 {
			return
		}
		ours := validateOverlap(t, s, query, fieldsCanMergeRule)
		theirs := validateOverlap(t, s, query, rules.OverlappingFieldsCanBeMergedRule)
		if (len(ours) > 0) != (len(theirs) > 0) {
			t.Errorf("%s\n ours %v\ngqlparser %v", query, ours, theirs)
		}
	})
}
