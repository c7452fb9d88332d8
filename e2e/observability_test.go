package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/internal/demoupstreams"
	"github.com/trellisgw/trellis/telemetry"
)

// planned is one entry of extensions.trace.
type planned = telemetry.PlanCall

// healthRoutes are calls that no query causes (readiness and health checks).
var healthRoutes = map[string]bool{
	"GET /healthz": true, "/grpc.health.v1.Health/Check": true, "/grpc.health.v1.Health/Watch": true,
}

func TestFanOutPlanListsExactlyTheCallsTheServicesServed(t *testing.T) {
	e := newEnv(t)
	for _, query := range []string{referenceQuery(t), `{ user(id: "u1") { name orders { nodes { id } } } }`} {
		e.cluster.ResetCalls()
		status, _, raw := e.post(t, query, map[string]string{telemetry.TraceHeader: "1"})
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, raw)
		}
		var resp struct {
			Extensions struct {
				Trace []planned `json:"trace"`
			} `json:"extensions"`
		}
		if err := json.Unmarshal(raw, &resp); err != nil {
			t.Fatal(err)
		}
		got := map[string]map[string]int{}
		for _, c := range resp.Extensions.Trace {
			if got[c.Upstream] == nil {
				got[c.Upstream] = map[string]int{}
			}
			got[c.Upstream][c.Route]++
			if c.Attempt < 1 || c.StartOffsetUs < 0 || c.DurationUs < 0 || c.Instance == "" || c.CacheHit {
				t.Errorf("implausible entry %+v", c)
			}
		}
		served := map[string]map[string]int{}
		for svc, routes := range e.cluster.Calls() {
			for route, n := range routes {
				if healthRoutes[route] {
					continue
				}
				if served[svc] == nil {
					served[svc] = map[string]int{}
				}
				served[svc][route] = n
			}
		}
		if len(resp.Extensions.Trace) == 0 {
			t.Fatalf("no extensions.trace in %s", raw)
		}
		if diff := cmp.Diff(got, served); diff != "" {
			t.Errorf("extensions.trace per upstream and route (-plan +served):\n%s", diff)
		}
	}

	// Without the header there is no plan.
	_, _, raw := e.post(t, `{ topProducts(first: 1) { name } }`, nil)
	if bytes.Contains(raw, []byte(`"trace"`)) {
		t.Errorf("a plan without X-Trellis-Trace: %s", raw)
	}
}

func TestFanOutPlanIsRefusedInProduction(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.Server.Mode = "production" })
	status, _, raw := e.post(t, `{ topProducts(first: 1) { name } }`, map[string]string{telemetry.TraceHeader: "1"})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, raw)
	}
	var resp struct {
		Data       map[string]any `json:"data"`
		Errors     []any          `json:"errors"`
		Extensions map[string]any `json:"extensions"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Data["topProducts"] == nil || len(resp.Errors) != 0 {
		t.Errorf("the query was not answered: %s", raw)
	}
	if _, ok := resp.Extensions["trace"]; ok {
		t.Errorf("production served the plan: %s", raw)
	}
	refusal, _ := resp.Extensions["traceError"].(map[string]any)
	if refusal["code"] != "FORBIDDEN" {
		t.Errorf("extensions.traceError = %v, want code FORBIDDEN", resp.Extensions["traceError"])
	}
}

// gatewayOver starts a second gateway over e's services with opts and returns its URL.
func (e *env) gatewayOver(t testing.TB, tweak func(*gateway.Config), opts ...gateway.Option) string {
	t.Helper()
	cfg := gateway.DefaultConfig()
	demoupstreams.Point(&cfg.Upstreams, e.cluster)
	if tweak != nil {
		tweak(&cfg)
	}
	gw, err := gateway.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = gw.Close()
	})
	return srv.URL
}

// TestAccessLogLine checks the access line of authenticated requests: its fields, and no credential
// anywhere in the log.
func TestAccessLogLine(t *testing.T) {
	const apiKey = "machine-key-for-access-log-0123"
	e := newEnv(t, withAPIKey(apiKey, "mobile-app")) // its gateway logs at debug level into e.logs
	tok := token(t, "u1")
	tests := []struct {
		name       string
		header     map[string]string
		secrets    []string // must not be logged
		wantCaller map[string]any
	}{
		{
			name:       "bearer token",
			header:     map[string]string{"Authorization": "Bearer " + tok},
			secrets:    []string{tok, tok[strings.LastIndexByte(tok, '.')+1:], "Bearer"},
			wantCaller: map[string]any{"client_kind": "user", "user_id": "u1", "client_id": ""},
		},
		{
			name:       "api key",
			header:     map[string]string{"X-Api-Key": apiKey},
			secrets:    []string{apiKey},
			wantCaller: map[string]any{"client_kind": "apikey", "user_id": "", "client_id": "mobile-app"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("e2e-access-%d", i)
			status, _, raw := e.post(t, referenceQuery(t), tracedHeaders(id, tt.header))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, raw)
			}
			server, _ := spansOf(t, id)
			out := e.logs.String()
			for _, secret := range tt.secrets {
				if strings.Contains(out, secret) {
					t.Errorf("the log holds %q:\n%s", secret, out)
				}
			}
			var access map[string]any
			for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("log line is not JSON: %q", line)
				}
				if m["msg"] == "access" && m["request_id"] == id {
					if access != nil {
						t.Fatalf("two access lines for one request:\n%s", out)
					}
					access = m
				}
			}
			if access == nil {
				t.Fatalf("no access line:\n%s", out)
			}
			want := map[string]any{
				"level": "INFO", "request_id": id, "trace_id": server.SpanContext().TraceID().String(),
				"operation": "Reference", "operation_type": "query", "outcome": "success",
				"status": float64(200), "upstream_calls": float64(16),
			}
			for k, v := range tt.wantCaller {
				want[k] = v
			}
			for k, v := range want {
				if access[k] != v {
					t.Errorf("access line %s = %v, want %v", k, access[k], v)
				}
			}
			if d, ok := access["duration_ms"].(float64); !ok || d <= 0 {
				t.Errorf("access line duration_ms = %v, want > 0", access["duration_ms"])
			}
		})
	}
}

// TestOperationsEndpoint reads GET /admin/operations, with server.admin_on_main_listener so that one
// listener serves both the queries and the admin surface (TestAdminSurface covers the default).
func TestOperationsEndpoint(t *testing.T) {
	e := newEnv(t)
	onMain := func(c *gateway.Config) { c.Server.AdminOnMainListener = true }
	base := e.gatewayOver(t, onMain)
	q := referenceQuery(t)
	for range 2 {
		if status, _, raw := postTo(t, base, q, nil); status != http.StatusOK {
			t.Fatalf("status %d: %s", status, raw)
		}
	}
	var body struct {
		Operations []telemetry.OperationStats `json:"operations"`
	}
	getJSON(t, base+"/admin/operations", nil, http.StatusOK, &body)
	if len(body.Operations) != 1 {
		t.Fatalf("operations %+v, want Reference only", body.Operations)
	}
	got := body.Operations[0]
	if got.Operation != "Reference" || got.Count != 2 || got.ErrorRate != 0 || got.UpstreamCallsPerRequest != 16 ||
		got.Samples != 2 || got.P50Ms <= 0 || got.P95Ms < got.P50Ms || got.CostPerRequest == nil || *got.CostPerRequest <= 0 {
		t.Errorf("Reference stats %+v", got)
	}

	t.Run("production without a token", func(t *testing.T) {
		base := e.gatewayOver(t, func(c *gateway.Config) { onMain(c); c.Server.Mode = "production" })
		getJSON(t, base+"/admin/operations", nil, http.StatusNotFound, nil)
	})
	t.Run("production with a token", func(t *testing.T) {
		const token = "0123456789abcdef-admin"
		base := e.gatewayOver(t, func(c *gateway.Config) {
			onMain(c)
			c.Server.Mode = "production"
			c.Server.AdminToken = token
		})
		getJSON(t, base+"/admin/operations", nil, http.StatusUnauthorized, nil)
		getJSON(t, base+"/admin/operations", map[string]string{"Authorization": "Bearer wrong-token-0123456"}, http.StatusUnauthorized, nil)
		getJSON(t, base+"/admin/operations", map[string]string{"Authorization": "Bearer " + token}, http.StatusOK, nil)
	})
}

func getJSON(t *testing.T, url string, headers map[string]string, wantStatus int, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s = %d, want %d: %s", url, resp.StatusCode, wantStatus, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, raw)
		}
	}
}
