package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/cost"
	"github.com/trellisgw/trellis/graph/generated"
	"github.com/trellisgw/trellis/internal/demoupstreams"
	"github.com/trellisgw/trellis/internal/opgen"
	"github.com/trellisgw/trellis/upstreams"
)

// diffEnv is one sample cluster with two gateways over it: the engine (gateway.New's default
// executor) and the oracle (gqlgen's executor, gateway.WithReferenceExecutor).
type diffEnv struct {
	cluster        *demo.Cluster
	engine, oracle *httptest.Server
	schema         *ast.Schema
	gen            *opgen.Generator
	set            *data.Set
	client         *http.Client
}

// diffSoftCost is the most a generated operation may cost (graph/cost), so that answers stay small
// enough for a few hundred of them under -race; a few operations over cost.max_cost are kept
// (diffOverCostShare) to compare the refusal.
const (
	diffSoftCost      = 1500
	diffOverCostShare = 4 // one in this many of the operations over max_cost is kept
)

// newDiffEnv starts the sample services and the two gateways; all stop at the end of the test.
func newDiffEnv(t testing.TB) *diffEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dcfg := data.DefaultConfig()
	cluster, err := demo.Start(ctx, demo.Config{Data: dcfg})
	if err != nil {
		t.Fatalf("start sample services: %v", err)
	}
	t.Cleanup(func() {
		if err := cluster.Close(); err != nil {
			t.Errorf("close sample services: %v", err)
		}
	})
	cfg := gateway.DefaultConfig()
	demoupstreams.Point(&cfg.Upstreams, cluster)
	// Faults must hit both gateways alike: no retries (their jitter), no breaker (it opens on counts
	// that differ when the engine makes fewer calls).
	noRetriesNoBreaker := func(tr *upstreams.Traffic) {
		tr.Resilience.Retry.Attempts = 1
		tr.Resilience.Breaker.MinRequests = 1 << 30
	}
	for name := range cfg.Upstreams.REST {
		cfg.Upstreams.EditREST(name, func(r *upstreams.RESTConfig) { noRetriesNoBreaker(&r.Traffic) })
	}
	for name := range cfg.Upstreams.GRPC {
		cfg.Upstreams.EditGRPC(name, func(g *upstreams.GRPCConfig) { noRetriesNoBreaker(&g.Traffic) })
	}
	start := func(opts ...gateway.Option) *httptest.Server {
		gw, err := gateway.New(cfg, opts...)
		if err != nil {
			t.Fatalf("gateway: %v", err)
		}
		srv := httptest.NewServer(gw.Handler())
		t.Cleanup(func() {
			srv.Close()
			if err := gw.Close(); err != nil {
				t.Errorf("close gateway: %v", err)
			}
		})
		return srv
	}
	e := &diffEnv{
		cluster: cluster,
		engine:  start(),
		oracle:  start(gateway.WithReferenceExecutor()),
		schema:  generated.NewExecutableSchema(generated.Config{}).Schema(),
		set:     data.Generate(dcfg),
		client:  &http.Client{Timeout: 20 * time.Second},
	}
	t.Cleanup(e.client.CloseIdleConnections)
	model, err := cost.NewModel(e.schema, cfg.Cost)
	if err != nil {
		t.Fatal(err)
	}
	e.gen, err = opgen.New(opgen.Config{
		Schema:       e.schema,
		Depth:        8,
		Fields:       60,
		RootItems:    4,
		MutationRate: 0.05,
		Limits: opgen.Limits{Depth: cfg.Server.Limits.MaxDepth, Aliases: cfg.Server.Limits.MaxAliases,
			RootFields: cfg.Server.Limits.MaxRootFields, Directives: cfg.Server.Limits.MaxDirectives},
		Values: shopValues(e.set),
		Skip:   skipChanging,
		Accept: func(doc *ast.QueryDocument, op opgen.Operation) error {
			vars, err := validator.VariableValues(e.schema, doc.Operations[0], op.Variables)
			if err != nil {
				return err
			}
			res, gerr := model.Calculate(doc.Operations[0], vars, false)
			switch {
			case gerr != nil || res.Cost > cfg.Cost.MaxCost:
				if textHash(op.Query)%diffOverCostShare == 0 {
					return nil // refused by both, before anything runs
				}
				return errTooDear
			case res.Cost > diffSoftCost:
				return errTooDear
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type diffError string

func (e diffError) Error() string { return string(e) }

const errTooDear = diffError("over the differential test's cost budget")

func textHash(s string) uint64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, s)
	return h.Sum64()
}

// skipChanging leaves out of mutations what differs between the oracle's run of a mutation and the
// engine's run of it right after: the new object's id and time, and the lists the mutation grows.
func skipChanging(op ast.Operation, parent *ast.Definition, f *ast.FieldDefinition) bool {
	if op != ast.Mutation {
		return false
	}
	switch f.Name {
	case "id", "createdAt", "reviews", "orders", "totalCount":
		return true
	}
	return false
}

// cursor is the resolvers' cursor of the item at offset (resolvers/args.go).
func cursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("trellis:offset:" + strconv.Itoa(offset)))
}

// shopValues chooses argument values from the data set: ids and UPCs that exist (and some that do
// not, or try path injection), page sizes in and out of 0..100, cursors and garbage, valid and invalid
// mutation inputs, search texts, global ids of every Node type (node, nodes, and some of user and
// order's ids).
func shopValues(set *data.Set) func(r *rand.Rand, at opgen.ValueSite) (any, bool) {
	oneOf := func(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }
	userID := func(r *rand.Rand) string {
		if r.IntN(10) < 8 {
			return set.Users[r.IntN(len(set.Users))].ID
		}
		return oneOf(r, "0", "101", "abc", "", "../1", "1/../2", "1?x=1", "%2e%2e")
	}
	upc := func(r *rand.Rand) string {
		if r.IntN(10) < 8 {
			return set.Products[r.IntN(len(set.Products))].UPC
		}
		return oneOf(r, "p0", "p999", "P1", "", "../p1", "p1#x")
	}
	orderID := func(r *rand.Rand) string {
		if r.IntN(10) < 8 {
			return set.Orders[r.IntN(len(set.Orders))].ID
		}
		return oneOf(r, "o0", "o99999", "1", "", "../o1")
	}
	global := func(typ, key string) string { return globalID(typ, key) }
	nodeID := func(r *rand.Rand) string {
		switch r.IntN(10) {
		case 0, 1:
			return global("User", userID(r))
		case 2, 3:
			return global("Product", upc(r))
		case 4, 5:
			if r.IntN(10) < 8 {
				return global("Review", set.Reviews[r.IntN(len(set.Reviews))].ID)
			}
			return global("Review", oneOf(r, "r0", "r999999"))
		case 6, 7:
			return global("Order", orderID(r))
		default:
			return oneOf(r, userID(r), "", "%%", global("Cart", "1"), global("User", ""), "VXNlcjoxMQ==")
		}
	}
	return func(r *rand.Rand, at opgen.ValueSite) (any, bool) {
		switch {
		case at.Field == "node" || at.Field == "nodes":
			return nodeID(r), true
		case at.Field == "user" && r.IntN(10) < 3:
			return global("User", userID(r)), true
		case at.Field == "order" && r.IntN(10) < 3:
			return global("Order", orderID(r)), true
		case at.Name == "first":
			switch x := r.IntN(100); {
			case x < 70:
				return r.IntN(6), true
			case x < 85:
				return 6 + r.IntN(15), true
			case x < 93:
				return 21 + r.IntN(80), true
			default:
				return []int{-1, 101, 1000, -1000}[r.IntN(4)], true
			}
		case at.Name == "after":
			switch x := r.IntN(10); {
			case x < 6:
				return cursor(r.IntN(60)), true
			case x < 8:
				return "", true
			default:
				return oneOf(r, "abc", cursor(1<<30), base64.RawURLEncoding.EncodeToString([]byte("other:1"))), true
			}
		case at.Field == "user" || at.Field == "buyer":
			return userID(r), true
		case at.Name == "upc" || at.Name == "productUpc":
			return upc(r), true
		case at.Field == "order":
			return orderID(r), true
		case at.Name == "text": // a search: words of names that exist, and some that do not
			u, p := set.Users[r.IntN(len(set.Users))], set.Products[r.IntN(len(set.Products))]
			return oneOf(r, u.Username, strings.Fields(u.Name)[0], p.Name, strings.Fields(p.Name)[0], "zzz", "", "%"), true
		case at.Input == "AddReviewInput" && at.Name == "body":
			return oneOf(r, "Good value.", "Broke after a week.", "  trimmed  ", "", "   ", strings.Repeat("x", 1001)), true
		case at.Name == "rating":
			return []int{1, 2, 3, 4, 5, 5, 0, 6}[r.IntN(8)], true
		case at.Name == "quantity":
			return []int{1, 2, 3, 10, 100, 0, 101}[r.IntN(7)], true
		case at.Input == "PlaceOrderInput" && at.Name == "items" && r.IntN(10) == 0:
			return []any{}, true
		}
		return nil, false
	}
}

// diffCaller is who sends an operation.
type diffCaller struct {
	name   string // for reports
	header http.Header
}

// callers returns who may send operations: anonymous, a user of the data set, an admin.
func (e *diffEnv) callers(t testing.TB) []diffCaller {
	t.Helper()
	return []diffCaller{
		{name: "anonymous"},
		{name: "user 7", header: bearer(t, "7")},
		{name: "user 42", header: bearer(t, "42")},
		{name: "admin 3", header: bearer(t, "3", "admin")},
	}
}

// outcome is what one gateway answered and the upstream calls it made.
type outcome struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Raw    []byte          `json:"-"`
	Calls  map[string]int  `json:"-"` // service + " " + route -> calls, health checks left out
}

// send posts op to srv as caller, counting the upstream calls it causes (the counters are reset
// first: sends must not overlap).
func (e *diffEnv) send(t testing.TB, srv *httptest.Server, caller diffCaller, op opgen.Operation) outcome {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": op.Query, "operationName": op.OperationName, "variables": op.Variables})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range caller.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	e.cluster.ResetCalls()
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := outcome{Status: resp.StatusCode, Raw: raw, Calls: map[string]int{}}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, raw)
	}
	for svc, routes := range e.cluster.Calls() {
		for route, n := range routes {
			if !strings.Contains(strings.ToLower(route), "health") && n > 0 {
				out.Calls[svc+" "+route] = n
			}
		}
	}
	return out
}
