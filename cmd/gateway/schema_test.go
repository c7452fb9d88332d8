package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestSchemaSubcommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"schema"}, &stdout, &stderr); err != nil {
		t.Fatalf("run schema = %v; stderr %s", err, stderr.String())
	}
	if _, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: stdout.String()}); err != nil {
		t.Errorf("the printed schema does not load: %v", err)
	}
	for _, want := range []string{"type Query", "type Mutation", "topProducts"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the printed schema lacks %q", want)
		}
	}
	if err := run(t.Context(), []string{"schema", "extra"}, &stdout, &stderr); err == nil {
		t.Error("run schema extra: no error")
	}
}
