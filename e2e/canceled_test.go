package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/telemetry/requestid"
	"github.com/trellisgw/trellis/upstreams"
)

// TestClientThatGivesUpIsNotAnUpstreamFailure: a client that cancels its request while a real, slow
// upstream (REST and gRPC) works on it leaves an access line with outcome "canceled", no WARN line, no
// upstream attempt counted as UPSTREAM_UNAVAILABLE (its attempts count as REQUEST_CANCELED), and
// nothing for the breaker or the outlier detector: with both set to trip on a single failure, the
// upstream serves the next request.
func TestClientThatGivesUpIsNotAnUpstreamFailure(t *testing.T) {
	for _, tt := range []struct {
		name, service, upstream, query string
	}{
		{"REST", demo.Accounts, "accounts", `{ user(id: "u1") { name } }`},
		{"gRPC", demo.Inventory, "inventory", `{ product(upc: "p1") { name inStock } }`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *gateway.Config) {
				tight := func(tr *upstreams.Traffic) {
					tr.Resilience.Breaker.MinRequests = 1
					tr.Resilience.Breaker.FailureRatio = 0.01
					tr.Resilience.Breaker.OpenTime = time.Minute
					tr.Balancer.Outlier.ConsecutiveFailures = 1
				}
				c.Upstreams.EditREST("accounts", func(r *upstreams.RESTConfig) { tight(&r.Traffic) })
				c.Upstreams.EditGRPC("inventory", func(g *upstreams.GRPCConfig) { tight(&g.Traffic) })
			})
			// Connected and health-checked first: a gRPC health stream opened under the latency would hold
			// the instance unready after the fault is gone.
			if resp := e.query(t, "", tt.query, nil); len(resp.Errors) != 0 {
				t.Fatalf("warm-up: %s", resp.Raw)
			}
			if err := e.cluster.SetFault(tt.service, -1, faults.Fault{Latency: 3 * time.Second}); err != nil {
				t.Fatal(err)
			}
			unavailable := map[string]string{"upstream": tt.upstream, "code": "UPSTREAM_UNAVAILABLE"}
			canceled := map[string]string{"upstream": tt.upstream, "code": "REQUEST_CANCELED"}
			beforeUnavailable := counterWhere(t, "trellis.upstream.requests", unavailable)
			beforeCanceled := counterWhere(t, "trellis.upstream.requests", canceled)
			beforeEjections := counterWhere(t, "trellis.upstream.ejections", map[string]string{"upstream": tt.upstream})

			const n = 3
			for i := range n {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				body, _ := json.Marshal(map[string]string{"query": tt.query})
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.server.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(requestid.Header, fmt.Sprintf("gave-up-%s-%d", tt.upstream, i))
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
					t.Fatalf("request %d answered %d, want the client to give up first", i, resp.StatusCode)
				}
				cancel()
			}
			// The gateway notices the closed connection and ends each request: wait for the access lines.
			deadline := time.Now().Add(5 * time.Second)
			var access []map[string]any
			for {
				access = access[:0]
				for line := range strings.SplitSeq(strings.TrimSpace(e.logs.String()), "\n") {
					var m map[string]any
					if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "access" && strings.HasPrefix(fmt.Sprint(m["request_id"]), "gave-up-") {
						access = append(access, m)
					}
				}
				if len(access) >= n || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if len(access) != n {
				t.Fatalf("%d access lines, want %d:\n%s", len(access), n, e.logs)
			}
			for _, m := range access {
				if m["outcome"] != "canceled" || m["level"] != "INFO" {
					t.Errorf("access line %v, want outcome canceled at INFO", m)
				}
			}
			for line := range strings.SplitSeq(e.logs.String(), "\n") {
				if strings.Contains(line, `"request_id":"gave-up-`) && !strings.Contains(line, `"level":"INFO"`) && !strings.Contains(line, `"level":"DEBUG"`) {
					t.Errorf("a client that gave up was logged as a failure: %s", line)
				}
			}
			if d := counterWhere(t, "trellis.upstream.requests", unavailable) - beforeUnavailable; d != 0 {
				t.Errorf("%d attempts counted as UPSTREAM_UNAVAILABLE, want 0", d)
			}
			if d := counterWhere(t, "trellis.upstream.requests", canceled) - beforeCanceled; d < n {
				t.Errorf("%d attempts counted as REQUEST_CANCELED, want at least %d", d, n)
			}
			if d := counterWhere(t, "trellis.upstream.ejections", map[string]string{"upstream": tt.upstream}) - beforeEjections; d != 0 {
				t.Errorf("%d ejections, want 0", d)
			}

			if s := gaugeValue(t, "trellis.upstream.breaker.state", tt.upstream); s != 0 {
				t.Errorf("breaker state %d, want 0 (closed)", s)
			}

			// Breaker and outlier detector would have tripped on one failure (the breaker for a minute):
			// the upstream still serves.
			if err := e.cluster.SetFault(tt.service, -1, faults.Fault{}); err != nil {
				t.Fatal(err)
			}
			if resp := e.query(t, "", tt.query, nil); len(resp.Errors) != 0 {
				t.Errorf("after the cancellations: %s, want an answer without errors", resp.Raw)
			}
		})
	}
}
