package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/auth"
)

const routeOrdersOfBuyers = "/trellis.orders.v1.OrderService/ListOrdersByBuyers"

// TestFieldAuthorization: User.email and User.orders (@owner) are served to the user themself and to
// admins only; for anyone else they are null with FORBIDDEN at their paths, the rest of the answer is
// served, and the orders service is not called for them.
func TestFieldAuthorization(t *testing.T) {
	e := newEnv(t, withAPIKey("machine-key-1", "ci", "admin"))
	owner, _ := e.index.User("5")
	const q = `{ user(id: "5") { id name email orders(first: 1) { totalCount } reviews(first: 1) { id } } }`
	tests := []struct {
		name       string
		hdr        http.Header
		wantShown  bool
		wantErrors map[string]string
	}{
		{name: "anonymous", wantErrors: map[string]string{"user.email": "FORBIDDEN", "user.orders": "FORBIDDEN"}},
		{name: "other user", hdr: bearer(t, "7", "orders:read"), wantErrors: map[string]string{"user.email": "FORBIDDEN", "user.orders": "FORBIDDEN"}},
		{name: "owner", hdr: bearer(t, "5"), wantShown: true},
		{name: "admin", hdr: bearer(t, "99", "admin"), wantShown: true},
		{name: "api key with admin scope", hdr: http.Header{"X-Api-Key": {"machine-key-1"}}, wantShown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			resp := e.queryWith(t, tt.hdr, q, nil)
			if resp.Status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.Status, resp.Raw)
			}
			if diff := cmp.Diff(tt.wantErrors, nilIfEmpty(errorsByPath(resp.Errors))); diff != "" {
				t.Errorf("errors by path (-want +got):\n%s", diff)
			}
			var got struct {
				User struct {
					ID, Name string
					Email    *string
					Orders   *struct{ TotalCount int }
					Reviews  []struct{ ID string }
				}
			}
			resp.decode(t, &got)
			if got.User.ID != globalID("User", "5") || got.User.Name != owner.Name || len(got.User.Reviews) != 1 {
				t.Errorf("the allowed fields were not served: %s", resp.Data)
			}
			shown := got.User.Email != nil && got.User.Orders != nil
			if shown != tt.wantShown || (got.User.Email == nil) != (got.User.Orders == nil) {
				t.Errorf("email and orders shown = %v, want %v: %s", shown, tt.wantShown, resp.Data)
			}
			if shown && (*got.User.Email != owner.Email || got.User.Orders.TotalCount != len(e.index.OrdersByBuyer("5"))) {
				t.Errorf("owner fields = %s, want %s and %d orders", resp.Data, owner.Email, len(e.index.OrdersByBuyer("5")))
			}
			wantCalls := 0
			if tt.wantShown {
				wantCalls = 1
			}
			if got := e.cluster.Calls()[demo.Orders][routeOrdersOfBuyers]; got != wantCalls {
				t.Errorf("orders service calls = %d, want %d", got, wantCalls)
			}
		})
	}
}

// TestOwnerRuleInLists: in a list of users, a signed-in user sees their own email and orders only,
// and the orders of the others are never asked for.
func TestOwnerRuleInLists(t *testing.T) {
	e := newEnv(t)
	resp := e.queryWith(t, bearer(t, "2"), `{ users(first: 3) { nodes { id email orders { totalCount } } } }`, nil)
	want := map[string]string{
		"users.nodes.0.email": "FORBIDDEN", "users.nodes.0.orders": "FORBIDDEN",
		"users.nodes.2.email": "FORBIDDEN", "users.nodes.2.orders": "FORBIDDEN",
	}
	if diff := cmp.Diff(want, errorsByPath(resp.Errors)); diff != "" {
		t.Errorf("errors by path (-want +got):\n%s", diff)
	}
	u, _ := e.index.User("2")
	if !strings.Contains(string(resp.Data), `{"id":"`+globalID("User", "2")+`","email":"`+u.Email+`","orders":{"totalCount":`) {
		t.Errorf("user 2's own fields missing: %s", resp.Data)
	}
	if got := e.cluster.Calls()[demo.Orders][routeOrdersOfBuyers]; got != 1 {
		t.Errorf("orders service calls = %d, want 1", got)
	}
}

// TestMutationsNeedSignIn: an anonymous mutation is refused with UNAUTHENTICATED before its resolver
// runs: the service is not called.
func TestMutationsNeedSignIn(t *testing.T) {
	e := newEnv(t)
	resp := e.query(t, "", `mutation { addReview(input: {productUpc: "p2", body: "Nice", rating: 5}) { review { id } } }`, nil)
	if got := errorsByPath(resp.Errors); got["addReview"] != "UNAUTHENTICATED" {
		t.Fatalf("errors %+v, want UNAUTHENTICATED at addReview", resp.Errors)
	}
	if n := e.cluster.Calls()[demo.Reviews]["POST /reviews"]; n != 0 {
		t.Errorf("reviews service called %d times", n)
	}
}

// TestBadCredentialsAreRefused: invalid credentials get 401 with the RFC 6750 challenge and
// UNAUTHENTICATED, and nothing executes: no upstream is called.
func TestBadCredentialsAreRefused(t *testing.T) {
	e := newEnv(t, withAPIKey("machine-key-1", "ci"))
	expired, err := auth.MintHS256([]byte(auth.DevSecret), auth.TokenClaims{Subject: "5", TTL: time.Minute, Now: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	other, err := auth.MintHS256([]byte(strings.Repeat("x", 32)), auth.TokenClaims{Subject: "5", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		hdr  http.Header
	}{
		{name: "expired token", hdr: http.Header{"Authorization": {"Bearer " + expired}}},
		{name: "token of another secret", hdr: http.Header{"Authorization": {"Bearer " + other}}},
		{name: "malformed token", hdr: http.Header{"Authorization": {"Bearer not.a.jwt"}}},
		{name: "basic scheme", hdr: http.Header{"Authorization": {"Basic dXNlcjpwdw=="}}},
		{name: "unknown api key", hdr: http.Header{"X-Api-Key": {"guessed"}}},
		{name: "token and api key", hdr: http.Header{"Authorization": {"Bearer " + token(t, "5")}, "X-Api-Key": {"machine-key-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			resp := e.queryWith(t, tt.hdr, `{ me { id } topProducts(first: 1) { upc } }`, nil)
			if resp.Status != http.StatusUnauthorized || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
				t.Fatalf("status %d, body %s; want 401 UNAUTHENTICATED", resp.Status, resp.Raw)
			}
			if resp.Data != nil {
				t.Errorf("data %s, want none", resp.Data)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
			for svc, routes := range e.cluster.Calls() {
				if len(routes) > 0 {
					t.Errorf("%s was called: %v", svc, routes)
				}
			}
		})
	}
}

// TestIdentityCannotBeSpoofed: identity headers a client sends never reach a service; the services
// receive the gateway's values, as configured per upstream (REST headers, gRPC metadata).
func TestIdentityCannotBeSpoofed(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) {
		c.Auth.Propagate = map[string]map[string]string{
			"accounts": {"X-User-Id": auth.FieldUserID, "X-User-Scopes": auth.FieldScopes},
			"orders":   {"x-user-id": auth.FieldUserID},
			"reviews":  {"X-User-Id": auth.FieldUserID, "Authorization": auth.FieldAuthorization},
		}
	})
	spoof := http.Header{"X-User-Id": {"1"}, "X-User-Scopes": {"admin"}, "X-Client-Id": {"evil"}}
	const q = `{ me { id orders(first: 1) { totalCount } reviews(first: 1) { id } } }`

	signed := bearer(t, "5", "orders:read")
	for k, v := range spoof {
		signed[k] = v
	}
	resp := e.queryWith(t, signed, q, nil)
	if resp.Status != http.StatusOK || len(resp.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", resp.Status, resp.Errors)
	}
	seen := func(svc string) map[string][]string { return e.cluster.SeenHeaders(svc)[0] }
	want := map[string][]string{"X-User-Id": {"5"}, "X-User-Scopes": {"orders:read"}}
	if diff := cmp.Diff(want, seen(demo.Accounts)); diff != "" {
		t.Errorf("accounts saw (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{"x-user-id": {"5"}}, seen(demo.Orders)); diff != "" {
		t.Errorf("orders saw (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{"X-User-Id": {"5"}, "Authorization": signed["Authorization"]}, seen(demo.Reviews)); diff != "" {
		t.Errorf("reviews (configured to receive Authorization) saw (-want +got):\n%s", diff)
	}

	// Anonymous with spoofed headers: the services hear of no one.
	resp = e.queryWith(t, spoof, `{ user(id: "3") { id reviews(first: 1) { id } } }`, nil)
	if resp.Status != http.StatusOK || len(resp.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", resp.Status, resp.Errors)
	}
	for _, svc := range []string{demo.Accounts, demo.Reviews} {
		if got := seen(svc); len(got) != 0 {
			t.Errorf("%s saw %v from an anonymous request, want nothing", svc, got)
		}
	}
}

// TestLogsHoldNoCredentials: the gateway's logs of authenticated, refused and failing requests, at
// debug level, hold no token, signature or API key.
func TestLogsHoldNoCredentials(t *testing.T) {
	e := newEnv(t, withAPIKey("machine-key-secret-1", "ci"))
	good := token(t, "5", "orders:read")
	other, err := auth.MintHS256([]byte(strings.Repeat("y", 32)), auth.TokenClaims{Subject: "5", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	requests := []http.Header{
		{"Authorization": {"Bearer " + good}},
		{"Authorization": {"Bearer " + other}},
		{"Authorization": {"Bearer " + good + "x"}},
		{"X-Api-Key": {"machine-key-secret-1"}},
		{"X-Api-Key": {"machine-key-secret-2"}},
	}
	for _, hdr := range requests {
		e.queryWith(t, hdr, `{ me { id email } user(id: "6") { email } product(upc: "nope") { upc } }`, nil)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "credentials refused") {
		t.Fatalf("the refusals were not logged, so this test proves nothing: %s", logs)
	}
	secrets := []string{good, other, "machine-key-secret"}
	for _, tok := range []string{good, other} {
		parts := strings.Split(tok, ".")
		secrets = append(secrets, parts[1], parts[2]) // payload and signature on their own
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("logs hold a credential (%.12s…)", s)
		}
	}
}

// TestAuthMetrics: trellis.auth.decisions counts each request's outcome, and none of its attributes
// is an id.
func TestAuthMetrics(t *testing.T) {
	e := newEnv(t)
	before := counterValue(t, "trellis.auth.decisions")
	e.query(t, "", `{ topProducts(first: 1) { upc } }`, nil)
	e.query(t, "5", `{ me { id } }`, nil)
	e.queryWith(t, http.Header{"Authorization": {"Bearer x.y.z"}}, `{ me { id } }`, nil)
	if got := counterValue(t, "trellis.auth.decisions") - before; got != 3 {
		t.Errorf("decisions counted %d, want 3", got)
	}
	for _, kv := range attributeValues(t, "trellis.auth.decisions") {
		if strings.HasSuffix(kv, "=5") {
			t.Errorf("an attribute holds the user id")
		}
		if !slices.Contains([]string{"outcome", "kind", "reason"}, strings.SplitN(kv, "=", 2)[0]) {
			t.Errorf("unexpected attribute %q", kv)
		}
	}
}

// withAPIKey configures an API key for client id with scopes.
func withAPIKey(key, client string, scopes ...string) func(*gateway.Config) {
	return func(c *gateway.Config) {
		c.Auth.APIKeys.Keys = append(c.Auth.APIKeys.Keys, auth.APIKey{SHA256: sha256Hex(key), ClientID: client, Scopes: scopes})
	}
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// attributeValues returns the attributes ("key=value") of every data point of the Int64 counter name.
func attributeValues(t *testing.T, name string) []string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name {
				for _, dp := range sum.DataPoints {
					for _, kv := range dp.Attributes.ToSlice() {
						out = append(out, string(kv.Key)+"="+kv.Value.Emit())
					}
				}
			}
		}
	}
	return out
}
