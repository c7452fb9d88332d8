package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCostSubcommand(t *testing.T) {
	dir := t.TempDir()
	query := filepath.Join(dir, "q.graphql")
	if err := os.WriteFile(query, []byte(`query($n: Int) { users(first: $n) { nodes { name reviews(first: 2) { id } } } }`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		// users 1 + nodes 3×(user 1 + reviews 2×1)
		{name: "breakdown", args: []string{"cost", "-variables", `{"n": 3}`, query},
			want: []string{"users.nodes.reviews", "requested cost: 10 (within cost.max_cost 100000)"}},
		{name: "json", args: []string{"cost", "-json", "-variables", `{"n": 3}`, query},
			want: []string{`"requestedQueryCost": 10`, `"path": "users.nodes.name"`}},
		{name: "the reference query", args: []string{"cost", filepath.Join("..", "..", "e2e", "testdata", "reference.graphql")},
			want: []string{"requested cost: 44526"}},
		{name: "bad variables", args: []string{"cost", "-variables", `{"n": "x"}`, query}, wantErr: "variables"},
		{name: "no file", args: []string{"cost"}, wantErr: "one query file expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
