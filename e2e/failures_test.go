package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/upstreams"
)

// leaks are fragments that must never reach a client: addresses, transport errors, upstream bodies,
// Go internals.
var leaks = []string{"127.0.0.1", "dial", "connection refused", "rpc error", "status 5", "goroutine", ".go:", "injected fault", "trellis.inventory"}

func assertNoLeak(t *testing.T, raw []byte) {
	t.Helper()
	for _, l := range leaks {
		if strings.Contains(string(raw), l) {
			t.Errorf("response leaks %q: %s", l, raw)
		}
	}
}

// errorsByPath maps each error's path (joined with dots) to its extensions.code.
func errorsByPath(errs []gqlError) map[string]string {
	out := map[string]string{}
	for _, e := range errs {
		parts := make([]string, len(e.Path))
		for i, p := range e.Path {
			parts[i] = fmt.Sprint(p)
		}
		code, _ := e.Extensions["code"].(string)
		out[strings.Join(parts, ".")] = code
	}
	return out
}

// TestUpstreamFailureIsContained: with one service failing, only the fields it backs are null, each
// with an error at its path and a stable code; the rest of the answer is served with HTTP 200.
func TestUpstreamFailureIsContained(t *testing.T) {
	const q = `{ topProducts(first: 2) { upc name inStock reviews(first: 1) { id author { name } } } }`
	tests := []struct {
		name    string
		service string
		fault   faults.Fault
		tweak   func(*gateway.Config)
		// wantNull are the fields that must be null, by path; each must carry an error with wantCode.
		wantNull []string
		wantCode string
	}{
		{
			name: "REST service down", service: demo.Accounts, fault: faults.Fault{Down: true},
			wantNull: []string{"topProducts.0.reviews.0.author", "topProducts.1.reviews.0.author"},
			wantCode: "UPSTREAM_UNAVAILABLE",
		},
		{
			name: "gRPC service down", service: demo.Inventory, fault: faults.Fault{Down: true},
			wantNull: []string{"topProducts.0.inStock", "topProducts.1.inStock"},
			wantCode: "UPSTREAM_UNAVAILABLE",
		},
		{
			name: "REST service erroring", service: demo.Accounts, fault: faults.Fault{ErrorRate: 1},
			wantNull: []string{"topProducts.0.reviews.0.author", "topProducts.1.reviews.0.author"},
			wantCode: "UPSTREAM_UNAVAILABLE",
		},
		{
			name: "gRPC service too slow", service: demo.Inventory, fault: faults.Fault{Latency: 2 * time.Second},
			tweak: func(c *gateway.Config) {
				c.Upstreams.EditGRPC("inventory", func(g *upstreams.GRPCConfig) { g.Timeout = 100 * time.Millisecond })
			},
			wantNull: []string{"topProducts.0.inStock", "topProducts.1.inStock"},
			wantCode: "UPSTREAM_TIMEOUT",
		},
		{
			name: "request deadline before a slow REST service answers", service: demo.Accounts, fault: faults.Fault{Latency: 2 * time.Second},
			tweak:    func(c *gateway.Config) { c.Server.RequestTimeout = 150 * time.Millisecond },
			wantNull: []string{"topProducts.0.reviews.0.author", "topProducts.1.reviews.0.author"},
			wantCode: "UPSTREAM_TIMEOUT",
		},
		{
			name: "REST service too slow", service: demo.Accounts, fault: faults.Fault{Latency: 2 * time.Second},
			tweak: func(c *gateway.Config) {
				c.Upstreams.EditREST("accounts", func(r *upstreams.RESTConfig) { r.Timeout = 100 * time.Millisecond })
			},
			wantNull: []string{"topProducts.0.reviews.0.author", "topProducts.1.reviews.0.author"},
			wantCode: "UPSTREAM_TIMEOUT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tweaks []func(*gateway.Config)
			if tt.tweak != nil {
				tweaks = append(tweaks, tt.tweak)
			}
			e := newEnv(t, tweaks...)
			if err := e.cluster.SetFault(tt.service, -1, tt.fault); err != nil {
				t.Fatal(err)
			}
			resp := e.query(t, "", q, nil)
			if resp.Status != 200 {
				t.Fatalf("status %d, want 200: %s", resp.Status, resp.Raw)
			}
			assertNoLeak(t, resp.Raw)
			want := map[string]string{}
			for _, p := range tt.wantNull {
				want[p] = tt.wantCode
			}
			if diff := cmp.Diff(want, errorsByPath(resp.Errors)); diff != "" {
				t.Errorf("errors by path (-want +got):\n%s", diff)
			}
			var data struct {
				TopProducts []struct {
					UPC     string
					Name    string
					InStock *bool
					Reviews []struct {
						ID     string
						Author *struct{ Name string }
					}
				}
			}
			resp.decode(t, &data)
			if len(data.TopProducts) != 2 {
				t.Fatalf("topProducts = %+v, want the 2 products served", data.TopProducts)
			}
			for i, p := range data.TopProducts {
				want, _ := e.index.Product(e.index.Set.Top[i])
				if p.UPC != want.UPC || p.Name != want.Name || len(p.Reviews) != 1 || p.Reviews[0].ID == "" {
					t.Errorf("topProducts[%d] = %+v: the healthy services' fields must be served", i, p)
				}
				if tt.service == demo.Inventory && p.InStock != nil {
					t.Errorf("topProducts[%d].inStock = %v, want null", i, *p.InStock)
				}
				if tt.service == demo.Accounts && p.Reviews[0].Author != nil {
					t.Errorf("topProducts[%d].reviews[0].author = %+v, want null", i, p.Reviews[0].Author)
				}
			}
		})
	}
}
