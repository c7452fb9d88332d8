package e2e

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/reference.golden.json from the seeded data set")

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGoldenMatchesDataSet keeps the golden file honest: it must be exactly what the seeded data set
// says the reference query returns. Run with -update to rewrite it after changing the data set.
func TestGoldenMatchesDataSet(t *testing.T) {
	e := &env{index: newIndex()}
	want, err := json.MarshalIndent(expectedReference(e.index, 10), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "reference.golden.json")
	if *update {
		if err := os.WriteFile(path, append(want, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var golden, derived any
	mustUnmarshal(t, []byte(readFile(t, "reference.golden.json")), &golden)
	mustUnmarshal(t, want, &derived)
	if diff := cmp.Diff(golden, derived); diff != "" {
		t.Fatalf("golden file differs from the data set (-golden +derived); run go test ./e2e -run Golden -update:\n%s", diff)
	}
}

// TestReferenceQuery runs the reference query of DESIGN.md §2 over real HTTP against the real sample
// services and compares the answer with the golden file.
func TestReferenceQuery(t *testing.T) {
	e := newEnv(t)
	resp := e.query(t, "", readFile(t, "reference.graphql"), nil)
	if resp.Status != 200 || len(resp.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", resp.Status, resp.Errors)
	}
	var got, want any
	mustUnmarshal(t, resp.Data, &got)
	mustUnmarshal(t, []byte(readFile(t, "reference.golden.json")), &want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("reference query (-want +got):\n%s", diff)
	}
	if n := len(resp.Raw); n < 10_000 {
		t.Fatalf("response is only %d bytes: the reference data set is too small to exercise fan-out", n)
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %.200s", err, b)
	}
}
