package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/cost"
	"github.com/trellisgw/trellis/graph/ratelimit"
)

// costExt is extensions.cost of a response.
type costExt struct {
	Requested      int `json:"requestedQueryCost"`
	Actual         int `json:"actualQueryCost"`
	ThrottleStatus *struct {
		Maximum   int `json:"maximumAvailable"`
		Available int `json:"currentlyAvailable"`
		Restore   int `json:"restoreRate"`
	} `json:"throttleStatus"`
	Fields []cost.FieldCost `json:"fields"`
}

// costResponse is a response with its header fields and extensions.cost.
type costResponse struct {
	response
	Header http.Header
	Cost   costExt
}

// post sends query to server as the test user as (empty: anonymous) with the extra request headers hdr.
func post(t *testing.T, server, as, query string, vars map[string]any, hdr map[string]string) costResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, server+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+token(t, as))
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := costResponse{response: response{Status: resp.StatusCode, Raw: raw}, Header: resp.Header}
	var ext struct {
		Extensions struct {
			Cost costExt `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(raw, &out.response); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, raw)
	}
	_ = json.Unmarshal(raw, &ext)
	out.Cost = ext.Extensions.Cost
	return out
}

func TestCostExtensionOnEveryResponse(t *testing.T) {
	e := newEnv(t)
	// topProducts 3 × Product 1: every list full, nothing null, so actual = requested.
	r := post(t, e.server.URL, "", `{ topProducts(first: 3) { upc name } }`, nil, nil)
	if r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", r.Status, r.Errors)
	}
	if r.Cost.Requested != 3 || r.Cost.Actual != 3 {
		t.Errorf("cost = %+v, want requested 3, actual 3", r.Cost)
	}
	if r.Cost.ThrottleStatus != nil {
		t.Errorf("throttleStatus %+v with rate_limit.enabled false", r.Cost.ThrottleStatus)
	}
	// users 1 + nodes 2×(user 1 + reviews 50×review 1) = 103 requested; each user wrote 3 reviews.
	r = post(t, e.server.URL, "", `{ users(first: 2) { nodes { reviews(first: 50) { id } } } }`, nil, nil)
	if r.Cost.Requested != 1+2*(1+50) {
		t.Errorf("requested %d, want %d", r.Cost.Requested, 1+2*(1+50))
	}
	var got struct {
		Users struct {
			Nodes []struct{ Reviews []struct{ ID string } }
		}
	}
	r.decode(t, &got)
	want := 1 + len(got.Users.Nodes)
	for _, n := range got.Users.Nodes {
		want += len(n.Reviews)
	}
	if r.Cost.Actual != want {
		t.Errorf("actual %d, want %d (counted in the response)", r.Cost.Actual, want)
	}
	// The breakdown header adds the fields; without it there are none.
	if len(r.Cost.Fields) != 0 {
		t.Errorf("fields without %s: %+v", cost.BreakdownHeader, r.Cost.Fields)
	}
	r = post(t, e.server.URL, "", `{ topProducts(first: 2) { upc inStock } }`, nil, map[string]string{cost.BreakdownHeader: "1"})
	paths := map[string]float64{}
	for _, f := range r.Cost.Fields {
		paths[f.Path] = f.Total
	}
	if paths["topProducts"] != 4 || paths["topProducts.inStock"] != 2 || r.Cost.Requested != 4 {
		t.Errorf("breakdown %+v (requested %d), want topProducts 4 (2×1 + inStock 2×1)", r.Cost.Fields, r.Cost.Requested)
	}
}

func TestCostLimitExceededRunsNothing(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.Cost.MaxCost = 50 })
	e.cluster.ResetCalls()
	r := post(t, e.server.URL, "", `{ users(first: 5) { nodes { reviews(first: 10) { id } } } }`, nil, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "COST_LIMIT_EXCEEDED" {
		t.Fatalf("errors %+v, want one COST_LIMIT_EXCEEDED", r.Errors)
	}
	ext := r.Errors[0].Extensions
	if ext["cost"] != float64(1+5*(1+10)) || ext["limit"] != float64(50) {
		t.Errorf("extensions %v, want cost 56, limit 50", ext)
	}
	if string(r.Data) != "" && string(r.Data) != "null" {
		t.Errorf("data %s, want none", r.Data)
	}
	if calls := dataCalls(e.cluster.Calls()); len(calls) != 0 {
		t.Errorf("upstream calls %v, want none", calls)
	}
	if r.Cost.Requested != 56 || r.Cost.Actual != 0 {
		t.Errorf("extensions.cost %+v, want requested 56, actual 0", r.Cost)
	}
	// A refusal before execution leaves the
	// scheduler's count alone, for the refused operation and the next one.
	if resp := e.query(t, "", `{ users(first: 5) { nodes { reviews(first: 10) { id } } } }`, nil); len(resp.Errors) != 1 {
		t.Errorf("errors %+v, want the refusal", resp.Errors)
	}
	if resp := e.query(t, "", `{ users(first: 2) { nodes { reviews(first: 2) { id product { name } } } } }`, nil); len(resp.Errors) != 0 {
		t.Errorf("a cheap operation after a refusal: %+v", resp.Errors)
	}
}

func TestProductionModeHidesBreakdownAndUsage(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.Server.Mode = "production" })
	r := post(t, e.server.URL, "", `{ topProducts(first: 2) { upc } }`, nil, map[string]string{cost.BreakdownHeader: "1"})
	if r.Cost.Requested != 2 || len(r.Cost.Fields) != 0 {
		t.Errorf("extensions.cost %+v, want requested 2 and no fields", r.Cost)
	}
	resp, err := http.Get(e.admin.URL + "/admin/usage")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("GET /admin/usage in production without a token: %d", resp.StatusCode)
	}
	e = newEnv(t, func(c *gateway.Config) { c.Server.Mode = "production"; c.Server.AdminToken = "0123456789abcdef-tok" })
	req, _ := http.NewRequest(http.MethodGet, e.admin.URL+"/admin/usage", nil)
	req.Header.Set("Authorization", "Bearer 0123456789abcdef-tok")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /admin/usage in production with the token: %d", resp.StatusCode)
	}
}

func TestRequireOneSlicingArgumentIsNotNeededWithDefaults(t *testing.T) {
	// Every slicing argument of the schema has a default, so leaving it out is fine.
	e := newEnv(t)
	r := post(t, e.server.URL, "", `query($n: Int) { topProducts(first: $n) { upc } }`, map[string]any{"n": nil}, nil)
	if len(r.Errors) > 0 || r.Cost.Requested != 5 {
		t.Errorf("errors %+v, cost %+v; want none and the default size 5", r.Errors, r.Cost)
	}
}

// rateLimited sets a small anonymous plan that restores one point per second, so that nothing the
// test does waits for the budget to come back.
func rateLimited(c *gateway.Config) {
	c.RateLimit.Enabled = true
	c.RateLimit.Plans = map[string]ratelimit.Plan{"default": {Capacity: 1000, RestoreRate: 1}, "anonymous": {Capacity: 200, RestoreRate: 1}}
}

var rateLimitRE = regexp.MustCompile(`^"anonymous";r=(\d+);t=(\d+)$`)

func TestRateLimitRefundAnd429(t *testing.T) {
	e := newEnv(t, rateLimited)
	// 103 requested, 9 actual (2 users, 3 reviews each, the connection): 94 come back.
	q := `{ users(first: 2) { nodes { reviews(first: 50) { id } } } }`
	r := post(t, e.server.URL, "", q, nil, nil)
	if r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", r.Status, r.Errors)
	}
	ts := r.Cost.ThrottleStatus
	if ts == nil || ts.Maximum != 200 || ts.Restore != 1 {
		t.Fatalf("throttleStatus %+v, want maximum 200, restore 1", ts)
	}
	// Refunded: the budget lacks only the actual cost (plus what flowed back since).
	charged := 200 - ts.Available
	if charged > r.Cost.Actual || r.Cost.Actual >= r.Cost.Requested/2 {
		t.Errorf("budget after the operation %d of 200 with requested %d, actual %d: the refund is missing", ts.Available, r.Cost.Requested, r.Cost.Actual)
	}
	if got := r.Header.Get("RateLimit-Policy"); got != `"anonymous";q=200;w=200` {
		t.Errorf("RateLimit-Policy %q", got)
	}
	m := rateLimitRE.FindStringSubmatch(r.Header.Get("RateLimit"))
	if m == nil || m[1] != strconv.Itoa(ts.Available) {
		t.Errorf("RateLimit %q, want r=%d", r.Header.Get("RateLimit"), ts.Available)
	}

	// 1 + 5×(1+30) = 156 > what is left (about 191 - ... after two more): spend it down first.
	spend := `{ users(first: 3) { nodes { reviews(first: 30) { id } } } }` // 1 + 3×31 = 94 requested
	for range 2 {
		post(t, e.server.URL, "", spend, nil, nil)
	}
	e.cluster.ResetCalls()
	big := `{ users(first: 5) { nodes { reviews(first: 36) { id } } } }` // 1 + 5×37 = 186 requested
	r = post(t, e.server.URL, "", big, nil, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "RATE_LIMITED" {
		t.Fatalf("errors %+v, want one RATE_LIMITED", r.Errors)
	}
	if calls := dataCalls(e.cluster.Calls()); len(calls) != 0 {
		t.Errorf("upstream calls %v, want none", calls)
	}
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || retry < 1 {
		t.Errorf("Retry-After %q, want seconds >= 1", r.Header.Get("Retry-After"))
	}
	if r.Header.Get("RateLimit") == "" || r.Header.Get("RateLimit-Policy") == "" {
		t.Errorf("RateLimit header fields missing: %v", r.Header)
	}
	if r.Cost.Requested != 186 || r.Cost.Actual != 0 || r.Cost.ThrottleStatus == nil {
		t.Errorf("extensions.cost %+v, want requested 186, actual 0, a throttleStatus", r.Cost)
	}
	// Waits for the GraphQL-over-HTTP transport (issue 3), which applies errcode.HTTPStatus to
	// request-level errors: gqlgen's stock POST transport answers 200.
	if r.Status != http.StatusTooManyRequests {
		t.Errorf("status %d, want 429", r.Status)
	}
}

func TestUsageEndpoint(t *testing.T) {
	e := newEnv(t)
	before := counterWith(t, "trellis.ratelimit.points", "plan", "default")
	post(t, e.server.URL, "u1", `{ topProducts(first: 3) { upc } }`, nil, nil)
	post(t, e.server.URL, "u1", `{ topProducts(first: 2) { upc } }`, nil, nil)
	resp, err := http.Get(e.admin.URL + "/admin/usage")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Periods []struct {
			Clients []struct {
				Client     string
				Plan       string
				Points     int
				Operations int
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	points, ops := 0, 0
	for _, p := range got.Periods {
		for _, c := range p.Clients {
			if c.Client == "user:u1" {
				points += c.Points
				ops += c.Operations
			}
		}
	}
	if points != 5 || ops != 2 {
		t.Errorf("user:u1 used %d points in %d operations, want 5 in 2 (%+v)", points, ops, got)
	}
	if got := counterWith(t, "trellis.ratelimit.points", "plan", "default") - before; got != 5 {
		t.Errorf("trellis.ratelimit.points{plan=default} grew by %d, want 5", got)
	}
}
