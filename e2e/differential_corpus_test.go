package e2e

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	gqlast "github.com/vektah/gqlparser/v2/ast"
	gqlparse "github.com/vektah/gqlparser/v2/parser"

	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/internal/opgen"
)

// minCorpus is the fewest queries e2eQueries must find: fewer means the extraction broke, not that
// the tests send fewer queries.
const minCorpus = 40

// e2eQueries returns every GraphQL document the e2e tests send: the files testdata/*.graphql and
// every string constant of the tests' Go files that parses as an executable document (queries built
// at run time, e.g. by strings.Repeat for the limits, are not found). Reading the sources, rather than
// recording what the tests send, keeps the corpus complete whichever tests run.
func e2eQueries(t testing.TB) []string {
	t.Helper()
	seen := map[string]bool{}
	files, err := filepath.Glob(filepath.Join("testdata", "*.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seen[string(b)] = true
	}
	sources, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := gotoken.NewFileSet()
	for _, src := range sources {
		if strings.HasPrefix(src, "differential") {
			continue
		}
		f, err := parser.ParseFile(fset, src, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != gotoken.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !strings.Contains(s, "{") {
				return true
			}
			if doc, err := gqlparse.ParseQuery(&gqlast.Source{Input: s}); err == nil && len(doc.Operations) > 0 {
				seen[s] = true
			}
			return true
		})
	}
	out := make([]string, 0, len(seen))
	for q := range seen {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

// TestDifferentialCorpus: every query the e2e tests send is answered alike by the engine and the
// oracle, anonymously, signed in and as an admin, healthy and with a REST and a gRPC service failing. Variables
// are drawn for the operations that declare some; mutations are compared by shape (their new ids
// and times differ between the two runs).
func TestDifferentialCorpus(t *testing.T) {
	queries := e2eQueries(t)
	if len(queries) < minCorpus {
		t.Fatalf("found %d queries in the e2e tests, want at least %d: the extraction is broken", len(queries), minCorpus)
	}
	e := newDiffEnv(t)
	callers := e.callers(t)
	r := rand.New(rand.NewPCG(2, 0xc0))
	var st diffStats
	for _, p := range []diffPhase{diffPhases[0], diffPhases[1], diffPhases[4]} {
		e.setFault(t, p.services, p.fault)
		for i, q := range queries {
			doc, err := gqlparse.ParseQuery(&gqlast.Source{Input: q})
			if err != nil {
				t.Fatal(err)
			}
			for _, def := range doc.Operations {
				op := opgen.Operation{Query: q, OperationName: def.Name, Kind: def.Operation,
					Variables: e.gen.Variables(r, def)}
				mode := exactData
				if def.Operation == gqlast.Mutation {
					mode = shapeData
				}
				// Healthy: as two callers (anonymous and a user, or another user and an admin); under a
				// fault, as one.
				who := []diffCaller{callers[i%2], callers[2+i%2]}
				if len(p.services) > 0 {
					who = callers[i%len(callers) : i%len(callers)+1]
				}
				for _, c := range who {
					e.check(t, p.name+", corpus #"+strconv.Itoa(i), c, op, mode, &st)
				}
			}
		}
		e.setFault(t, p.services, faults.Fault{})
	}
	t.Logf("%d queries from the e2e tests, %d requests, %d with errors (%d partial), %d with more engine calls",
		len(queries), st.ops, st.withErrors, st.partial, st.moreCalls)
}
