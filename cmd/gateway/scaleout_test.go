package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trellisgw/trellis/demo/admin"
	"github.com/trellisgw/trellis/graph/auth"
)

// TestScaleOut runs the deployment operators run: two real gateway processes over one real Redis. They
// share the rate-limit budget, the persisted queries and the entity cache (entries and invalidations),
// and when one is killed (SIGKILL, mid-load)
// the other serves on without a failed request.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	redisAddr := os.Getenv("TRELLIS_TEST_REDIS_ADDR")
	if redisAddr == "" {
		t.Skip("no Redis: run under scripts/with-redis.sh (make test does)")
	}
	gatewayBin, demoBin := buildBinaries(t)
	_, rdy := startDemoServices(t, demoBin)
	prefix := fmt.Sprintf("scaleout-%d", time.Now().UnixNano())
	base, err := os.ReadFile(writeConfig(t, rdy.Services))
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "shared.yaml", string(base)+fmt.Sprintf(`rate_limit:
  enabled: true
  store: redis
  redis: {addr: %q, key_prefix: "%s:rl:", timeout: 2s}
  plans:
    anonymous: {capacity: 100000, restore_rate: 1}
    default: {capacity: 100000, restore_rate: 1}
persisted_queries:
  store: redis
  redis: {addr: %q, key_prefix: "%s:pq:", timeout: 2s}
cache:
  enabled: true
  store: redis
  redis: {addr: %q, key_prefix: "%s:ec:", timeout: 2s}
  kinds: {stock_by_upc: {max_age: 1h}}
`, redisAddr, prefix, redisAddr, prefix, redisAddr, prefix))
	startGateway := func() (*process, string) {
		p := start(t, gatewayBin, "-config", cfg)
		m := listening.FindStringSubmatch(p.firstLine(t))
		if m == nil {
			t.Fatalf("gateway does not say where it listens; stderr:\n%s", p.stderr)
		}
		return p, m[1]
	}
	procA, a := startGateway()
	_, b := startGateway()
	hc := newHTTPClient()

	t.Run("one rate-limit budget", func(t *testing.T) {
		const q = `{ topProducts(first: 3) { upc name } }`
		ra := postJSON(t, hc, a, map[string]any{"query": q})
		rb := postJSON(t, hc, b, map[string]any{"query": q})
		availA, availB := available(t, ra), available(t, rb)
		// B's answer saw A's charge: the same client's bucket, in Redis (one point restored per second).
		if spent := availA - availB; spent < 1 || availB >= availA {
			t.Errorf("available after A %d, after B %d: B did not see A's charge", availA, availB)
		}
	})

	t.Run("one persisted-query store", func(t *testing.T) {
		const q = `{ topProducts(first: 1) { upc } }`
		sum := sha256.Sum256([]byte(q))
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		if r := postJSON(t, hc, a, map[string]any{"query": q, "extensions": ext}); r["errors"] != nil {
			t.Fatalf("register on A: %v", r["errors"])
		}
		r := postJSON(t, hc, b, map[string]any{"extensions": ext})
		if r["errors"] != nil || r["data"] == nil {
			t.Fatalf("hash alone on B: %v", r)
		}
	})

	t.Run("one entity cache", func(t *testing.T) {
		ctx := context.Background()
		ac := admin.NewClient(rdy.Admin, admin.WithHTTPClient(hc))
		dataCalls := func() int {
			t.Helper()
			calls, err := ac.Calls(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, instances := range calls {
				for _, in := range instances {
					for route, c := range in.Calls {
						if route != "GET /healthz" && !strings.HasPrefix(route, "/grpc.health.v1.Health/") {
							n += c
						}
					}
				}
			}
			return n
		}
		checkCrossQuery(t, hc, a)
		if err := ac.ResetCalls(ctx); err != nil {
			t.Fatal(err)
		}
		checkCrossQuery(t, hc, b)
		if n := dataCalls(); n != 0 {
			t.Errorf("B's first cross query cost %d upstream calls after A's: the entries are not shared", n)
		}
		// A review added through A is in B's answer at once (B held the reviews in process too).
		const q = `{ topProducts(first: 1) { upc reviews(first: 100) { id } } }`
		count := func(r map[string]any) (string, int) {
			t.Helper()
			d, _ := r["data"].(map[string]any)
			top, _ := d["topProducts"].([]any)
			if len(top) != 1 {
				t.Fatalf("topProducts: %v", r)
			}
			p := top[0].(map[string]any)
			rs, _ := p["reviews"].([]any)
			return p["upc"].(string), len(rs)
		}
		postJSON(t, hc, b, map[string]any{"query": q})
		upc, before := count(postJSON(t, hc, b, map[string]any{"query": q}))
		tok, err := auth.MintHS256([]byte(auth.DevSecret), auth.TokenClaims{Subject: "1", TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"query": fmt.Sprintf(`mutation { addReview(input: {productUpc: %q, body: "scale-out", rating: 4}) { review { id } } }`, upc)})
		req, _ := http.NewRequest(http.MethodPost, a+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) {
			t.Fatalf("addReview through A: %d %s", resp.StatusCode, raw)
		}
		if _, after := count(postJSON(t, hc, b, map[string]any{"query": q})); after != before+1 {
			t.Errorf("B after addReview through A: %d reviews, was %d", after, before)
		}
	})

	t.Run("one killed mid-load, the other serves on", func(t *testing.T) {
		ldB := startLoad(hc, b, 4)
		ldA := startLoad(hc, a, 2) // A is under load too when it dies; its failures are expected
		time.Sleep(300 * time.Millisecond)
		if ldA.served.Load() == 0 {
			t.Error("A served nothing before it was killed: not mid-load")
		}
		if err := procA.cmd.Process.Kill(); err != nil {
			t.Fatalf("kill A: %v", err)
		}
		<-procA.exited
		procA.exited <- nil // for the cleanup
		time.Sleep(700 * time.Millisecond)
		ldA.finish()
		ldB.finish()
		ldB.check(t, "by B while A was killed")
		if _, err := hc.Get(a + "/healthz"); err == nil {
			t.Error("A still answers after SIGKILL")
		}
		// B stays ready (a gRPC upstream it has not called yet connects on the first check).
		eventually(t, 10*time.Second, "B ready after A died", func() bool {
			return getStatus(t, hc, b, "/readyz") == http.StatusOK
		})
		t.Logf("B served %d requests while A was killed", ldB.served.Load())
	})
}

// postJSON posts body to server's /graphql and returns the decoded response.
func postJSON(t *testing.T, hc *http.Client, server string, body map[string]any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := hc.Post(server+"/graphql", "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("POST %s/graphql: %v", server, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return out
}

// available returns extensions.cost.throttleStatus.currentlyAvailable of a response.
func available(t *testing.T, r map[string]any) int {
	t.Helper()
	ext, _ := r["extensions"].(map[string]any)
	c, _ := ext["cost"].(map[string]any)
	ts, _ := c["throttleStatus"].(map[string]any)
	v, ok := ts["currentlyAvailable"].(float64)
	if !ok {
		t.Fatalf("no extensions.cost.throttleStatus in %v", r)
	}
	return int(v)
}
