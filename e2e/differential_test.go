package e2e

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/internal/opgen"
)

// The differential tests send the same operations to the engine and to gqlgen's executor (the
// oracle), as the same caller over the same sample services, and require the same status, data and
// errors (by path and code). TRELLIS_DIFF_OPS sets how many generated operations TestDifferential
// sends (default 200) and TRELLIS_DIFF_SEED their seed (default 1); FuzzDifferential draws them from
// fuzz input. A failure prints the operation, its variables and the caller, enough to replay it.

// diffPhase is a deterministic fault that holds while a group of operations runs: both gateways
// meet it alike. Random error rates would not.
type diffPhase struct {
	name     string
	services []string // none for a healthy phase
	fault    faults.Fault
	share    int // operations of the phase per 16
}

// diffPhases run in this order. gRPC services are taken down last, together: grpc-go reconnects with
// a backoff after one comes back, which would fail later operations of one gateway and not the
// other's.
var diffPhases = []diffPhase{
	{name: "healthy", share: 8},
	{name: "accounts down", services: []string{demo.Accounts}, fault: faults.Fault{Down: true}, share: 1},
	{name: "reviews failing", services: []string{demo.Reviews}, fault: faults.Fault{ErrorRate: 1}, share: 1},
	{name: "products failing", services: []string{demo.Products}, fault: faults.Fault{ErrorRate: 1}, share: 1},
	{name: "inventory failing", services: []string{demo.Inventory}, fault: faults.Fault{ErrorRate: 1}, share: 1},
	{name: "orders failing", services: []string{demo.Orders}, fault: faults.Fault{ErrorRate: 1}, share: 1},
	{name: "reviews down", services: []string{demo.Reviews}, fault: faults.Fault{Down: true}, share: 1},
	{name: "inventory and orders down", services: []string{demo.Inventory, demo.Orders}, fault: faults.Fault{Down: true}, share: 2},
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a number >= 0", name, s)
	}
	return n
}

// setFault sets f on every instance of the services.
func (e *diffEnv) setFault(t testing.TB, services []string, f faults.Fault) {
	t.Helper()
	for _, s := range services {
		if err := e.cluster.SetFault(s, -1, f); err != nil {
			t.Fatal(err)
		}
	}
}

// diffStats sums up a differential run.
type diffStats struct {
	ops, mutations, withErrors, partial, refused, moreCalls int
}

// check sends op to both gateways as caller and reports any difference as a test error.
func (e *diffEnv) check(t *testing.T, label string, caller diffCaller, op opgen.Operation, mode compareMode, st *diffStats) (oracle, engine outcome) {
	t.Helper()
	oracle = e.send(t, e.oracle, caller, op)
	engine = e.send(t, e.engine, caller, op)
	// The faults here never add latency, so a timeout is the machine's, not the test's: the oracle
	// (gqlgen's executor, calling once per sibling list) is the one that meets it on a starved machine
	// under -race. A query meeting one is asked again, both sides, a few times.
	for try := 0; try < 3 && op.Kind != ast.Mutation && (timedOut(oracle) || timedOut(engine)); try++ {
		oracle = e.send(t, e.oracle, caller, op)
		engine = e.send(t, e.engine, caller, op)
	}
	if d := compareOutcomes(oracle, engine, mode); d != "" {
		vars, _ := json.Marshal(op.Variables)
		t.Errorf("%s, as %s: the engine's answer differs from the oracle's:\n%s\nquery: %s\nvariables: %s\noracle: %s\nengine: %s",
			label, caller.name, d, op.Query, vars, oracle.Raw, engine.Raw)
	}
	st.ops++
	if op.Kind == ast.Mutation {
		st.mutations++
	}
	if len(oracle.Errors) > 0 {
		st.withErrors++
		if len(oracle.Data) > 0 && string(oracle.Data) != "null" {
			st.partial++
		} else {
			st.refused++
		}
	}
	if more := moreCalls(oracle.Calls, engine.Calls); more != "" {
		st.moreCalls++
		t.Logf("%s: the engine made more upstream calls than the oracle: %s\nquery: %s", label, more, op.Query)
	}
	return oracle, engine
}

// timedOut reports whether an answer holds an UPSTREAM_TIMEOUT error.
func timedOut(o outcome) bool {
	for _, e := range o.Errors {
		if c, _ := e.Extensions["code"].(string); c == "UPSTREAM_TIMEOUT" {
			return true
		}
	}
	return false
}

// TestDifferential: generated operations, healthy and under faults, answered alike by the engine and
// the oracle.
func TestDifferential(t *testing.T) {
	n := envInt(t, "TRELLIS_DIFF_OPS", 200)
	seed := uint64(envInt(t, "TRELLIS_DIFF_SEED", 1))
	e := newDiffEnv(t)
	callers := e.callers(t)
	r := rand.New(rand.NewPCG(seed, 0x7e11))
	started := time.Now()
	var st diffStats
	total := 0
	for _, p := range diffPhases {
		total += p.share
	}
	for _, p := range diffPhases {
		count := max(1, n*p.share/total)
		e.setFault(t, p.services, p.fault)
		for i := range count {
			op := e.gen.Generate(r)
			caller := callers[r.IntN(len(callers))]
			if op.Kind == ast.Mutation && caller.header == nil && r.IntN(4) != 0 {
				caller = callers[1+r.IntN(len(callers)-1)] // mostly signed in: mutations need it
			}
			e.check(t, p.name+" #"+strconv.Itoa(i)+" (seed "+strconv.FormatUint(seed, 10)+")", caller, op, exactData, &st)
		}
		e.setFault(t, p.services, faults.Fault{})
		if t.Failed() {
			break
		}
	}
	gs := e.gen.Stats()
	t.Logf("%d operations (%d mutations) in %s: %d with errors (%d partial data, %d without data), %d with more engine calls; generator: %d invalid and %d over the cost budget redrawn",
		st.ops, st.mutations, time.Since(started).Round(time.Millisecond), st.withErrors, st.partial, st.refused, st.moreCalls, gs.Invalid, gs.Refused)
	if st.ops > 20 && (st.partial == 0 || st.withErrors == st.ops) {
		t.Errorf("of %d operations %d had partial data and %d errors: the faults or the generator do not work", st.ops, st.partial, st.withErrors)
	}
}

// TestDifferentialSelfCheck: a perturbed answer of a live run is reported, so that the differential
// tests cannot pass by comparing nothing (today both gateways run gqlgen's executor).
func TestDifferentialSelfCheck(t *testing.T) {
	e := newDiffEnv(t)
	caller := e.callers(t)[1]
	op := opgen.Operation{Query: `{ topProducts(first: 2) { upc name inStock reviews(first: 2) { id author { username } } } me { email } }`}
	var st diffStats
	oracle, engine := e.check(t, "self-check", caller, op, exactData, &st)
	if len(oracle.Data) < 50 {
		t.Fatalf("no data to perturb: %s", oracle.Raw)
	}
	perturbed := engine
	perturbed.Data = json.RawMessage(strings.Replace(string(engine.Data), `"inStock":`, `"inStock":null,"x":`, 1))
	if compareOutcomes(oracle, perturbed, exactData) == "" {
		t.Errorf("a changed leaf was not reported:\n%s\n%s", oracle.Data, perturbed.Data)
	}
	perturbed = engine
	perturbed.Errors = append([]gqlError{{Path: []any{"me"}, Extensions: map[string]any{"code": "UPSTREAM_ERROR"}}}, engine.Errors...)
	if compareOutcomes(oracle, perturbed, exactData) == "" {
		t.Error("an extra error was not reported")
	}
	// A real fault on one side only must be reported too: the engine's answer with accounts down.
	e.setFault(t, []string{demo.Accounts}, faults.Fault{Down: true})
	broken := e.send(t, e.engine, caller, op)
	e.setFault(t, []string{demo.Accounts}, faults.Fault{})
	if compareOutcomes(oracle, broken, exactData) == "" {
		t.Errorf("an answer with accounts down was not told apart from a healthy one:\n%s\n%s", oracle.Raw, broken.Raw)
	}
}

// FuzzDifferential: operations drawn from fuzz input, sent as a caller and under a fault the input
// chooses, answered alike. `make fuzz` runs it.
func FuzzDifferential(f *testing.F) {
	e := newDiffEnv(f)
	callers := e.callers(f)
	// gRPC services are never taken down here (see diffPhases); they fail by error rate instead.
	var phases []diffPhase
	for _, p := range diffPhases {
		if p.fault.Down && slices.ContainsFunc(p.services, func(s string) bool { return s == demo.Inventory || s == demo.Orders }) {
			continue
		}
		phases = append(phases, p)
	}
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("query { user(id: 1) { reviews { product { name } } } }"))
	f.Fuzz(func(t *testing.T, in []byte) {
		caller, phase := callers[0], phases[0]
		if len(in) >= 2 {
			caller = callers[int(in[0])%len(callers)]
			if in[1] >= 192 { // a quarter of the inputs run under a fault
				phase = phases[1+int(in[1])%(len(phases)-1)]
			}
			in = in[2:]
		}
		op := e.gen.FromBytes(in)
		e.setFault(t, phase.services, phase.fault)
		defer e.setFault(t, phase.services, faults.Fault{})
		var st diffStats
		e.check(t, "fuzz ("+phase.name+")", caller, op, exactData, &st)
	})
}
