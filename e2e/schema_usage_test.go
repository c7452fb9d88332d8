package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellisgw/trellis/internal/redistest"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph"
	"github.com/trellisgw/trellis/graph/generated"
	"github.com/trellisgw/trellis/graph/schemacheck"
	"github.com/trellisgw/trellis/graph/usage"
)

// appHeaders are the headers Apollo's clients send to name themselves.
func appHeaders(name, version string) http.Header {
	return http.Header{"Apollographql-Client-Name": {name}, "Apollographql-Client-Version": {version}}
}

// schemaUsage returns base's GET /admin/schema/usage answer for coords, by coordinate.
func schemaUsage(t *testing.T, base string, coords ...string) map[string]usage.CoordinateUsage {
	t.Helper()
	q := url.Values{"coordinate": coords}
	resp, err := http.Get(base + "/admin/schema/usage?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/schema/usage: %d", resp.StatusCode)
	}
	var ans usage.Answer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	out := map[string]usage.CoordinateUsage{}
	for _, c := range ans.Coordinates {
		out[c.Coordinate] = c
	}
	return out
}

// clientsOf returns "client version operation count" of each use, most first.
func clientsOf(c usage.CoordinateUsage) []string {
	var out []string
	for _, u := range c.Clients {
		out = append(out, strings.Join([]string{u.Client, u.Version, u.Operation, itoa(u.Count)}, " "))
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// postWith posts query to base's /graphql with the headers hdr and fails on GraphQL errors.
func postWith(t *testing.T, base string, hdr http.Header, query string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Errors []any }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("POST %s: %v %v", base, err, out.Errors)
	}
}

// Operations of two versions of one app against the running gateway: each coordinate is reported with
// the counts of the versions that selected it, and the access log names the app.
func TestSchemaUsagePerClientVersion(t *testing.T) {
	e := newEnv(t)
	v1, v2 := appHeaders("shop-ios", "1.0.0"), appHeaders("shop-ios", "2.0.0")
	for range 2 {
		if r := e.queryWith(t, v1, `query Product { product(upc: "p1") { name price } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("v1: %s", r.Raw)
		}
	}
	if r := e.queryWith(t, v2, `query Product { product(upc: "p1") { name weight } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("v2: %s", r.Raw)
	}
	if r := e.queryWith(t, v2, `query Top($n: Int) { topProducts(first: $n) { name } }`, map[string]any{"n": 1}); len(r.Errors) > 0 {
		t.Fatalf("v2: %s", r.Raw)
	}
	got := schemaUsage(t, e.admin.URL, "Product.name", "Product.price", "Product.weight", "Query.topProducts(first:)", "Product.inStock")
	for coord, want := range map[string][]string{
		"Product.name":              {"shop-ios 1.0.0 Product 2", "shop-ios 2.0.0 Product 1", "shop-ios 2.0.0 Top 1"},
		"Product.price":             {"shop-ios 1.0.0 Product 2"},
		"Product.weight":            {"shop-ios 2.0.0 Product 1"},
		"Query.topProducts(first:)": {"shop-ios 2.0.0 Top 1"},
		"Product.inStock":           nil,
	} {
		if g := clientsOf(got[coord]); strings.Join(g, "|") != strings.Join(want, "|") {
			t.Errorf("%s: %q, want %q", coord, g, want)
		}
	}
	if c := got["Product.name"]; c.Count != 4 || c.LastSeen == nil || time.Since(*c.LastSeen) > time.Minute || !c.Exists || c.Deprecated {
		t.Errorf("Product.name: %+v", c)
	}
	if !strings.Contains(e.logs.String(), `"client_name":"shop-ios","client_version":"2.0.0"`) {
		t.Errorf("the access log does not name the client app:\n%s", e.logs.String())
	}
}

// TestDeprecatedField follows the schema's one deprecated element, User.accountId (the raw id of
// before global ids), through what its users see: codegen tools read the deprecation by
// introspection, an operation that still selects it gets its value and, with
// schema_usage.deprecation_warnings, a warning in extensions.deprecations, and operators see in
// GET /admin/schema/deprecations which client versions still use it, so they know when it can go.
func TestDeprecatedField(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.SchemaUsage.DeprecationWarnings = true })
	const reason = "Use `id`, an opaque global id that `node(id:)` and `user(id:)` take."

	var intro struct {
		Type struct {
			Fields []struct {
				Name              string
				IsDeprecated      bool
				DeprecationReason *string
			}
			Visible []struct{ Name string }
		} `json:"__type"`
	}
	r := e.query(t, "", `{ __type(name: "User") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } visible: fields { name } } }`, nil)
	r.decode(t, &intro)
	found := false
	for _, f := range intro.Type.Fields {
		if f.Name == "accountId" {
			found = true
			if !f.IsDeprecated || f.DeprecationReason == nil || *f.DeprecationReason != reason {
				t.Errorf("introspection of User.accountId: %+v", f)
			}
		} else if f.IsDeprecated {
			t.Errorf("User.%s is deprecated too", f.Name)
		}
	}
	if !found {
		t.Fatalf("User.accountId not in introspection: %s", r.Raw)
	}
	for _, f := range intro.Type.Visible {
		if f.Name == "accountId" {
			t.Errorf("fields without includeDeprecated lists accountId")
		}
	}

	old, current := appHeaders("shop-android", "3.1.0"), appHeaders("shop-android", "4.0.0")
	resp := e.queryWith(t, old, `query Profile { user(id: "2") { accountId id name } }`, nil)
	var got struct {
		User struct{ AccountID, ID, Name string }
	}
	resp.decode(t, &got)
	if got.User.AccountID != "2" || got.User.ID != globalID("User", "2") {
		t.Errorf("accountId %q, id %q: want the raw id 2 and the global id", got.User.AccountID, got.User.ID)
	}
	var ext struct {
		Extensions map[string]json.RawMessage
	}
	if err := json.Unmarshal(resp.Raw, &ext); err != nil {
		t.Fatal(err)
	}
	warn := ext.Extensions["deprecations"]
	if want := `[{"coordinate":"User.accountId","reason":` + strconv.Quote(reason) + `}]`; string(warn) != want {
		t.Errorf("extensions.deprecations = %s, want %s", warn, want)
	}
	resp = e.queryWith(t, current, `query Profile { user(id: "2") { id name } }`, nil)
	if bytes.Contains(resp.Raw, []byte(`"deprecations"`)) || len(resp.Errors) > 0 {
		t.Errorf("an operation without deprecated fields: %s", resp.Raw)
	}

	httpResp, err := http.Get(e.admin.URL + "/admin/schema/deprecations")
	if err != nil {
		t.Fatal(err)
	}
	defer httpResp.Body.Close()
	var dep usage.Answer
	if err := json.NewDecoder(httpResp.Body).Decode(&dep); err != nil || httpResp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/schema/deprecations: %d %v", httpResp.StatusCode, err)
	}
	if len(dep.Coordinates) != 1 {
		t.Fatalf("deprecations: %+v, want User.accountId only", dep.Coordinates)
	}
	c := dep.Coordinates[0]
	if c.Coordinate != "User.accountId" || !c.Deprecated || c.DeprecationReason != reason || c.Count != 1 ||
		strings.Join(clientsOf(c), "|") != "shop-android 3.1.0 Profile 1" {
		t.Errorf("deprecations: %+v, want User.accountId used once by shop-android 3.1.0", c)
	}
}

// Two gateway processes' worth of instances over one real redis-server: each answers the sum.
func TestSchemaUsageSharedRedis(t *testing.T) {
	rs := redistest.Start(t)
	shared := func(c *gateway.Config) {
		c.SchemaUsage.Store = usage.StoreRedis
		c.SchemaUsage.Redis.Addr = rs.Addr
		c.SchemaUsage.Redis.KeyPrefix = "e2e-usage:"
		c.SchemaUsage.Redis.Timeout = 2 * time.Second
		c.SchemaUsage.FlushInterval = 50 * time.Millisecond
		c.Server.AdminOnMainListener = true // so that the second instance's admin answers too
	}
	e := newEnv(t, shared)
	a, b := e.server.URL, e.secondGateway(t, shared)
	app := appHeaders("shop-web", "7")
	const q = `query Name { product(upc: "p2") { name } }`
	e.queryWith(t, app, q, nil)
	e.queryWith(t, app, q, nil)
	postWith(t, b, app, q)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ga, gb := schemaUsage(t, a, "Product.name")["Product.name"], schemaUsage(t, b, "Product.name")["Product.name"]
		if ga.Count == 3 && gb.Count == 3 {
			if g := clientsOf(ga); len(g) != 1 || g[0] != "shop-web 7 Name 3" {
				t.Errorf("clients %q", g)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("A counts %d, B counts %d; want 3 each (2 through A, 1 through B)", ga.Count, gb.Count)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A running gateway's schema (GET /schema.graphql) is the built-in one: schema check against its URL
// finds no change.
func TestSchemaCheckAgainstRunningGateway(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	running, err := schemacheck.LoadSchema(ctx, e.server.URL+"/graphql", e.server.Client())
	if err != nil {
		t.Fatal(err)
	}
	builtIn, err := gqlparser.LoadSchema(&ast.Source{Name: "built-in", Input: graph.SDL(generated.NewExecutableSchema(generated.Config{}).Schema())})
	if err != nil {
		t.Fatal(err)
	}
	if changes := schemacheck.Diff(builtIn, running); len(changes) != 0 {
		t.Errorf("changes between the built-in and the served schema: %v", changes)
	}
}

// The manifest of the e2e operations that `gateway schema check -operations` validates in make test
// (cmd/gateway's TestSchemaCheckOperations) is a real trusted-documents manifest: a gateway enforcing
// it runs every one of its operations by id, without errors.
func TestOperationsManifestRuns(t *testing.T) {
	const path = "testdata/operations.json"
	e := newEnv(t, func(c *gateway.Config) { c.PersistedQueries.Manifest = path })
	docs, err := schemacheck.LoadDocuments(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]map[string]any{
		"Order":          {"id": "o1"},
		"ProductReviews": {"upc": "p1"},
		"AddReview":      {"in": map[string]any{"productUpc": "p1", "body": "Fine", "rating": 4}},
		"PlaceOrder":     {"in": map[string]any{"items": []any{map[string]any{"productUpc": "p1", "quantity": 1}}}},
	}
	for _, d := range docs {
		_, id, _ := strings.Cut(d.Source, "#")
		doc, gerrs := gqlparser.LoadQuery(generated.NewExecutableSchema(generated.Config{}).Schema(), d.Body)
		if gerrs != nil {
			t.Fatalf("%s: %v", d.Source, gerrs)
		}
		name := doc.Operations[0].Name
		body, _ := json.Marshal(map[string]any{"documentId": id, "variables": vars[name]})
		req, _ := http.NewRequest(http.MethodPost, e.server.URL+"/graphql", bytes.NewReader(body))
		req.Header = bearer(t, "1")
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Errors []gqlError }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
			t.Errorf("%s (%s): %d %v %+v", name, id[:8], resp.StatusCode, err, out.Errors)
		}
	}
}
