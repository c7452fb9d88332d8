package floor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/bench/floor"
	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/identity"
	"github.com/trellisgw/trellis/internal/demoupstreams"
	"github.com/trellisgw/trellis/upstreams"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// BenchData is the benchmark's data set (cmd/bench): the reference response is about 88 KB.
var benchData = data.Config{Seed: 1, Users: 90, Products: 35, ReviewsPerUser: 2, OrdersPerUser: 2, TopProducts: 20}

type env struct {
	cluster *demo.Cluster
	gateway string
	floor   string
}

func newEnv(t *testing.T, dcfg data.Config) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cluster, err := demo.Start(ctx, demo.Config{Data: dcfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Close() })
	cfg := gateway.DefaultConfig()
	demoupstreams.Point(&cfg.Upstreams, cluster)
	gw, err := gateway.New(cfg, gateway.WithRequestMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id := r.Header.Get(floor.UserHeader); id != "" {
				r = r.WithContext(identity.NewContext(r.Context(), &identity.Caller{UserID: id}))
			}
			next.ServeHTTP(w, r)
		})
	}))
	if err != nil {
		t.Fatal(err)
	}
	gsrv := httptest.NewServer(gw.Handler())
	clients, err := upstreams.New(cfg.Upstreams)
	if err != nil {
		t.Fatal(err)
	}
	fsrv := httptest.NewServer(floor.New(clients, cfg.Server.RequestTimeout, cfg.Server.MaxBodyBytes, nil))
	t.Cleanup(func() {
		gsrv.Close()
		fsrv.Close()
		_ = gw.Close()
		_ = clients.Close()
	})
	return &env{cluster: cluster, gateway: gsrv.URL, floor: fsrv.URL}
}

// post sends one operation and returns the status, the body and the upstream calls it caused.
func (e *env) post(t *testing.T, base, query string, vars map[string]any) (int, []byte, map[string]map[string]int) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(floor.UserHeader, "3")
	e.cluster.ResetCalls()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]map[string]int{}
	for svc, routes := range e.cluster.Calls() {
		for route, n := range routes {
			if n > 0 && !strings.Contains(route, "Health") {
				if calls[svc] == nil {
					calls[svc] = map[string]int{}
				}
				calls[svc][route] = n
			}
		}
	}
	return resp.StatusCode, raw, calls
}

// TestSameBytesAndCalls is the floor's contract: for the benchmark's queries it writes exactly the
// gateway's bytes up to the end of data (the gateway may add extensions after it) and makes exactly
// the gateway's upstream calls.
func TestSameBytesAndCalls(t *testing.T) {
	for _, dcfg := range []data.Config{benchData, data.DefaultConfig()} {
		e := newEnv(t, dcfg)
		for _, tc := range []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"reference", floor.ReferenceQuery, nil},
			{"reference with 3 users", floor.ReferenceQuery, map[string]any{"users": 3}},
			{"small", floor.SmallQuery, map[string]any{"upc": "p7"}},
			{"small, unknown product", floor.SmallQuery, map[string]any{"upc": "nope"}},
			{"product page", floor.ProductPageQuery, map[string]any{"upc": "p1"}},
			{"product page, unknown product", floor.ProductPageQuery, map[string]any{"upc": "nope"}},
			{"user profile", floor.UserProfileQuery, map[string]any{"id": "3"}},
			{"user profile, unknown user", floor.UserProfileQuery, map[string]any{"id": "nope"}},
			{"top products", floor.TopProductsQuery, map[string]any{"first": 5}},
			{"top products, 10", floor.TopProductsQuery, map[string]any{"first": 10}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				gs, gb, gc := e.post(t, e.gateway, tc.query, tc.vars)
				fs, fb, fc := e.post(t, e.floor, tc.query, tc.vars)
				if gs != http.StatusOK || fs != http.StatusOK {
					t.Fatalf("status gateway %d, floor %d: %.300s", gs, fs, fb)
				}
				// The floor writes {"data":…} only; the gateway may add top-level extensions after data
				// (the cost of the operation), which the floor does not compute. Data is byte-identical.
				if !bytes.HasPrefix(gb, fb[:len(fb)-1]) || !isExtensionsOnly(t, gb[len(fb)-1:]) {
					t.Fatalf("bytes differ (gateway %d, floor %d):\ngateway %.400s\nfloor   %.400s", len(gb), len(fb), gb, fb)
				}
				if diff := cmp.Diff(gc, fc); diff != "" {
					t.Errorf("upstream calls (-gateway +floor):\n%s", diff)
				}
				t.Logf("%d bytes, upstream calls %v", len(gb), gc)
			})
		}
	}
}

// isExtensionsOnly reports whether rest, what the gateway wrote after the floor's last byte but its
// closing brace, is "}" or `,"extensions":{…}}` and nothing else.
func isExtensionsOnly(t *testing.T, rest []byte) bool {
	t.Helper()
	if string(rest) == "}" {
		return true
	}
	var v map[string]json.RawMessage
	if !bytes.HasPrefix(rest, []byte(`,"extensions":`)) || json.Unmarshal(append([]byte("{"), rest[1:]...), &v) != nil {
		return false
	}
	_, ok := v["extensions"]
	return ok && len(v) == 1
}

// TestMutationSameShape: order ids differ from one placed order to the next, so the mutation is
// compared with the id masked.
func TestMutationSameShape(t *testing.T) {
	e := newEnv(t, benchData)
	vars := map[string]any{"items": []map[string]any{{"productUpc": "p3", "quantity": 2}}}
	gs, gb, gc := e.post(t, e.gateway, floor.PlaceOrderMutation, vars)
	fs, fb, fc := e.post(t, e.floor, floor.PlaceOrderMutation, vars)
	if gs != http.StatusOK || fs != http.StatusOK {
		t.Fatalf("status gateway %d, floor %d: %s / %s", gs, fs, gb, fb)
	}
	mask := func(b []byte) any {
		var v struct {
			Data struct {
				PlaceOrder struct {
					Order map[string]any `json:"order"`
				} `json:"placeOrder"`
			} `json:"data"`
			Errors []any `json:"errors"`
		}
		if err := json.Unmarshal(b, &v); err != nil || len(v.Errors) > 0 {
			t.Fatal(err)
		}
		if v.Data.PlaceOrder.Order["id"] == "" || v.Data.PlaceOrder.Order["id"] == nil {
			t.Fatalf("no order id in %s", b)
		}
		v.Data.PlaceOrder.Order["id"] = "masked"
		return v
	}
	if diff := cmp.Diff(mask(gb), mask(fb)); diff != "" {
		t.Errorf("mutation (-gateway +floor):\n%s", diff)
	}
	if diff := cmp.Diff(gc, fc); diff != "" {
		t.Errorf("upstream calls (-gateway +floor):\n%s", diff)
	}
}

// TestReferenceQueryIsTheE2EOne keeps the floor's text of the reference query the tests' one.
func TestReferenceQueryIsTheE2EOne(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "e2e", "testdata", "reference.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != floor.ReferenceQuery {
		t.Fatal("floor.ReferenceQuery differs from e2e/testdata/reference.graphql")
	}
}
