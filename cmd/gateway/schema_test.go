package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/schemacheck"
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

// proposedSchema writes the gateway's SDL with edit applied to a file and returns its path.
func proposedSchema(t *testing.T, edit func(string) string) string {
	t.Helper()
	var sdl bytes.Buffer
	if err := run(t.Context(), []string{"schema"}, &sdl, io.Discard); err != nil {
		t.Fatal(err)
	}
	edited := edit(sdl.String())
	if edited == sdl.String() {
		t.Fatal("the edit changed nothing")
	}
	path := filepath.Join(t.TempDir(), "proposed.graphql")
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func checkJSON(t *testing.T, args ...string) (checkResult, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), append([]string{"schema", "check", "-json"}, args...), &stdout, &stderr)
	var res checkResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("schema check %q: output is not JSON (%v): %s; err %v, stderr %s", args, jerr, stdout.String(), err, stderr.String())
	}
	return res, err
}

// The schema as it was at commit 81e654b (its schema/*.graphqls, concatenated) against today's:
// the project's history has added directives and descriptions, and broken nothing.
func TestSchemaCheckHistory(t *testing.T) {
	res, err := checkJSON(t, "-against", "testdata/schema-81e654b.graphqls")
	if err != nil {
		t.Fatalf("schema check against the old schema = %v; want success", err)
	}
	if res.Summary["breaking"] != 0 || res.Summary["dangerous"] == 0 || res.Summary["safe"] == 0 {
		t.Errorf("summary = %v; want no breaking change, some dangerous and safe ones", res.Summary)
	}
	want := schemacheck.Change{Kind: schemacheck.DirectiveUsageAdded, Level: schemacheck.Dangerous, Coordinate: "User.email",
		Message: "@owner was applied to User.email"}
	if !slices.Contains(res.Changes, checkedChange{Change: want}) {
		t.Errorf("changes lack %v: %v", want, res.Changes)
	}
	// The text form says the same.
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"schema", "check", "-against", "testdata/schema-81e654b.graphqls"}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "0 breaking") || !strings.Contains(stdout.String(), "dangerous DIRECTIVE_USAGE_ADDED User.email: @owner was applied to User.email") {
		t.Errorf("text output:\n%s", stdout.String())
	}
}

func TestSchemaCheckBreaking(t *testing.T) {
	proposed := proposedSchema(t, func(s string) string { return withoutEmail(s) })
	res, err := checkJSON(t, "-against", "../../schema", "-schema", proposed)
	if !errors.Is(err, errCheckFailed) {
		t.Fatalf("schema check with User.email removed = %v; want %v", err, errCheckFailed)
	}
	want := []checkedChange{{Change: schemacheck.Change{Kind: schemacheck.FieldRemoved, Level: schemacheck.Breaking, Coordinate: "User.email", Message: "field User.email was removed"}}}
	if diff := cmp.Diff(res.Changes, want); diff != "" {
		t.Errorf("changes (-got +want):\n%s", diff)
	}
	// The repository's schema/ against the built-in one: the same schema.
	res, err = checkJSON(t, "-against", "../../schema")
	if err != nil || len(res.Changes) != 0 {
		t.Errorf("schema/ against the built-in schema: %v, changes %v; want none", err, res.Changes)
	}
}

// The e2e operations (e2e/testdata/operations.json, a trusted-documents manifest) validate against
// the schema; removing a field one of them selects fails the check and names the operation.
func TestSchemaCheckOperations(t *testing.T) {
	const manifest = "../../e2e/testdata/operations.json"
	res, err := checkJSON(t, "-operations", manifest)
	if err != nil || res.Operations == nil || res.Operations.Checked < 10 || len(res.Operations.Invalid) != 0 {
		t.Fatalf("the e2e operations against the schema: %v, %+v; want all valid", err, res.Operations)
	}
	proposed := proposedSchema(t, func(s string) string { return withoutEmail(s) })
	res, err = checkJSON(t, "-operations", manifest, "-schema", proposed)
	if !errors.Is(err, errCheckFailed) {
		t.Fatalf("schema check -operations with User.email removed = %v; want %v", err, errCheckFailed)
	}
	if len(res.Operations.Invalid) != 1 || !slices.Equal(res.Operations.Invalid[0].Operations, []string{"Me"}) ||
		!strings.Contains(res.Operations.Invalid[0].Errors[0], `Cannot query field "email" on type "User"`) {
		t.Errorf("invalid = %+v; want operation Me, for email", res.Operations.Invalid)
	}
}

// -against takes a running gateway's URL: its GET /schema.graphql.
func TestSchemaCheckAgainstURL(t *testing.T) {
	var sdl bytes.Buffer
	if err := run(t.Context(), []string{"schema"}, &sdl, io.Discard); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/schema.graphql" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, sdl.String())
	}))
	defer srv.Close()
	for _, u := range []string{srv.URL, srv.URL + "/graphql", srv.URL + "/schema.graphql"} {
		if res, err := checkJSON(t, "-against", u); err != nil || len(res.Changes) != 0 {
			t.Errorf("-against %s: %v, %v; want no change", u, err, res.Changes)
		}
	}
	if err := run(t.Context(), []string{"schema", "check", "-against", srv.URL + "/nope"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("-against a URL answering 404 = %v; want an error naming the status", err)
	}
}

func TestSchemaCheckUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-against", "testdata/missing.graphql"},
		{"-operations", "testdata/missing"},
		{"-against", "../../schema", "extra"},
		{"-operations", "../../e2e/testdata/operations.json", "-usage", "http://127.0.0.1:1"},
	} {
		if err := run(t.Context(), append([]string{"schema", "check"}, args...), io.Discard, io.Discard); err == nil || errors.Is(err, errCheckFailed) {
			t.Errorf("schema check %q = %v; want a usage error", args, err)
		}
	}
}

// withoutEmail removes User.email, with its description, from the SDL s.
func withoutEmail(s string) string {
	return withoutField(s, "email: String @owner @cacheControl(scope: PRIVATE)")
}

// withoutField removes the field whose SDL line is field, with its description, from s.
func withoutField(s, field string) string {
	return regexp.MustCompile(`(?s)\n  """\n[^"]*"""\n  `+regexp.QuoteMeta(field)+`\n`).ReplaceAllString(s, "\n")
}

// -usage asks a running gateway whether anyone used what a breaking change removes: User.email,
// selected by a client, stays breaking (and says who); Product.weight, which nobody selected, passes.
func TestSchemaCheckUsage(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.Server.AdminToken = "usage-test-token-0123456789"
	gw, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, admin := httptest.NewServer(gw.Handler()), httptest.NewServer(gw.AdminHandler())
	defer func() { srv.Close(); admin.Close(); _ = gw.Close() }()
	// Counted once validated, whether or not the upstreams answer (none runs here).
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"query Mail { user(id: \"1\") { email } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("apollographql-client-name", "ios")
	req.Header.Set("apollographql-client-version", "4.2")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	usedGone := proposedSchema(t, withoutEmail)
	res, err := checkJSON(t, "-against", "../../schema", "-schema", usedGone, "-usage", admin.URL, "-usage-token", string(cfg.Server.AdminToken))
	if !errors.Is(err, errCheckFailed) || len(res.Changes) != 1 {
		t.Fatalf("User.email removed while used: %v, %+v; want a failed check", err, res.Changes)
	}
	u := res.Changes[0].Usage
	if u == nil || !u.Checked || u.Count != 1 || len(u.Clients) != 1 || u.Clients[0].Client != "ios" || u.Clients[0].Version != "4.2" || u.Clients[0].Operation != "Mail" {
		t.Errorf("usage of User.email: %+v", u)
	}
	unusedGone := proposedSchema(t, func(s string) string { return withoutField(s, "weight: Int!") })
	res, err = checkJSON(t, "-against", "../../schema", "-schema", unusedGone, "-usage", admin.URL+"/", "-usage-token", string(cfg.Server.AdminToken), "-usage-window", "24h")
	if err != nil || len(res.Changes) != 1 || res.Changes[0].Coordinate != "Product.weight" || res.Changes[0].Usage.Count != 0 {
		t.Errorf("Product.weight removed, never used: %v, %+v; want a passing check", err, res.Changes)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"schema", "check", "-against", "../../schema", "-schema", unusedGone, "-usage", admin.URL, "-usage-token", string(cfg.Server.AdminToken)}, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "[unused in retention: passes]") {
		t.Errorf("text output: %v\n%s", err, out.String())
	}
	// Without the token, the admin endpoint refuses and the check cannot run.
	if err := run(t.Context(), []string{"schema", "check", "-against", "../../schema", "-schema", unusedGone, "-usage", admin.URL}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("-usage without the token = %v; want HTTP 401", err)
	}
}

// Two gateways run from one config file over one real Redis (schema_usage.store: redis): schema check
// -usage against either one sees the uses made through both.
func TestSchemaCheckUsageAcrossInstances(t *testing.T) {
	addr := os.Getenv("TRELLIS_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("no Redis: run under scripts/with-redis.sh (make test does)")
	}
	cluster := startCluster(t)
	base, err := os.ReadFile(writeConfig(t, clusterAddrs(cluster)))
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := writeFile(t, "trellis.yaml", string(base)+`schema_usage:
  flush_interval: 20ms
  store: redis
  redis: {addr: "`+addr+`", key_prefix: "cmd-usage-`+strconv.FormatInt(time.Now().UnixNano(), 36)+`:"}
`)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderrA, stderrB syncBuffer
	a, adminA, doneA := startRun(t, ctx, []string{"-config", cfgPath}, &stderrA)
	b, adminB, doneB := startRun(t, ctx, []string{"-config", cfgPath}, &stderrB)
	hc := newHTTPClient()
	for _, gw := range []string{a, a, b} {
		req, _ := http.NewRequest(http.MethodPost, gw+"/graphql", strings.NewReader(`{"query":"query Weights { topProducts(first: 1) { weight } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("apollographql-client-name", "android")
		req.Header.Set("apollographql-client-version", "9.1")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	proposed := proposedSchema(t, func(s string) string { return withoutField(s, "weight: Int!") })
	eventually(t, 10*time.Second, "both instances' uses in Redis", func() bool {
		res, err := checkJSON(t, "-against", "../../schema", "-schema", proposed, "-usage", adminA)
		return errors.Is(err, errCheckFailed) && len(res.Changes) == 1 && res.Changes[0].Usage != nil && res.Changes[0].Usage.Count == 3
	})
	res, _ := checkJSON(t, "-against", "../../schema", "-schema", proposed, "-usage", adminB)
	if u := res.Changes[0].Usage; u.Count != 3 || len(u.Clients) != 1 || u.Clients[0].Client != "android" || u.Clients[0].Operation != "Weights" {
		t.Errorf("usage through B: %+v", u)
	}
	cancel()
	for _, done := range []<-chan error{doneA, doneB} {
		if err := <-done; err != nil {
			t.Errorf("run = %v", err)
		}
	}
}
