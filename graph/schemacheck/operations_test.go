package schemacheck

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const userSchema = `type Query { user(id: ID!): User }
type User { id: ID! name: String email: String }`

func TestOperations(t *testing.T) {
	withoutEmail := load(t, `type Query { user(id: ID!): User } type User { id: ID! name: String }`)
	withoutName := load(t, `type Query { user(id: ID!): User } type User { id: ID! email: String }`)
	tests := []struct {
		name       string
		path       string
		schema     string
		wantSource []string
		wantError  string
	}{
		{"directory valid", "testdata/ops", userSchema, nil, ""},
		{"directory, field removed", "testdata/ops", "email", []string{filepath.Join("testdata/ops/nested/email.gql")}, `Cannot query field "email" on type "User"`},
		{"fragment in another file", "testdata/ops", "name", []string{filepath.Join("testdata/ops/user.graphql")}, `Cannot query field "name" on type "User"`},
		{"manifest valid", "testdata/manifest.json", userSchema, nil, ""},
		{"manifest, field removed", "testdata/manifest.json", "email", []string{"testdata/manifest.json#b2"}, `Cannot query field "email"`},
		{"Relay's plain manifest", "testdata/relay.json", "email", []string{"testdata/relay.json#q2"}, `Cannot query field "email"`},
		{"one file", "testdata/ops/nested/email.gql", "email", []string{"testdata/ops/nested/email.gql"}, "email.gql:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := LoadDocuments(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			schema := load(t, userSchema)
			switch tt.schema {
			case "email":
				schema = withoutEmail
			case "name":
				schema = withoutName
			}
			got := Operations(schema, docs)
			var sources []string
			for _, inv := range got {
				sources = append(sources, inv.Source)
				if !strings.Contains(strings.Join(inv.Errors, "\n"), tt.wantError) {
					t.Errorf("%s: errors %q lack %q", inv.Source, inv.Errors, tt.wantError)
				}
			}
			if diff := cmp.Diff(sources, tt.wantSource); diff != "" {
				t.Errorf("invalid documents (-got +want):\n%s", diff)
			}
		})
	}
}

func TestOperationsUnparsable(t *testing.T) {
	got := Operations(load(t, userSchema), []Document{{Source: "bad.graphql", Body: "query {"}})
	if len(got) != 1 || got[0].Source != "bad.graphql" || len(got[0].Errors) != 1 {
		t.Fatalf("Operations = %+v; want one invalid document with a parse error", got)
	}
}

func TestLoadDocumentsErrors(t *testing.T) {
	for _, path := range []string{"testdata/missing", "testdata/ops/nested/fragments.graphql/x", t.TempDir()} {
		if _, err := LoadDocuments(path); err == nil {
			t.Errorf("LoadDocuments(%s): no error", path)
		}
	}
}
