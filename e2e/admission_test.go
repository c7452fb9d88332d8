package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/gateway"
)

// TestAdmissionGateEndToEnd: with server.max_concurrent_operations 2 and a burst of 30 requests that
// each take at least 150 ms (the products service's latency), the gate runs two at a time, and those
// still waiting when their 400 ms deadline passes are answered 503 SERVER_OVERLOADED with Retry-After,
// counted as refused; none of them reached an upstream, and none waits once the burst is over. One
// admitted just as its deadline passed may be answered 504 REQUEST_TIMEOUT.
func TestAdmissionGateEndToEnd(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) {
		c.Server.MaxConcurrentOperations = 2
		c.Server.RequestTimeout = 400 * time.Millisecond
	})
	if r := e.query(t, "", authorsQuery, nil); r.Status != http.StatusOK || len(r.Errors) != 0 { // connect first
		t.Fatalf("warm-up: %d %s", r.Status, r.Raw)
	}
	if err := e.cluster.SetFault(demo.Products, -1, faults.Fault{Latency: 150 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	e.cluster.ResetCalls()
	refusedBefore := counterWhere(t, "trellis.graphql.refused", map[string]string{"reason": "server_overloaded"})

	const n = 30
	body, err := json.Marshal(map[string]any{"query": authorsQuery})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status     int
		retryAfter string
		body       response
		err        error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &answers[i]
			resp, err := e.server.Client().Post(e.server.URL+"/graphql", "application/json", bytes.NewReader(body))
			if err != nil {
				a.err = err
				return
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err == nil {
				err = json.Unmarshal(raw, &a.body)
			}
			a.status, a.retryAfter, a.body.Raw, a.err = resp.StatusCode, resp.Header.Get("Retry-After"), raw, err
		}()
	}
	wg.Wait()

	var ran, overloaded int
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("request %d: %v", i, a.err)
		case a.status == http.StatusServiceUnavailable:
			overloaded++
			if a.retryAfter != "1" || len(a.body.Errors) != 1 || a.body.Errors[0].Extensions["code"] != "SERVER_OVERLOADED" || a.body.Data != nil {
				t.Errorf("request %d: 503 with Retry-After %q and %s, want Retry-After 1 and one SERVER_OVERLOADED error, no data",
					i, a.retryAfter, a.body.Raw)
			}
		case a.status == http.StatusOK:
			ran++
		case a.status == http.StatusGatewayTimeout && len(a.body.Errors) == 1 && a.body.Errors[0].Extensions["code"] == "REQUEST_TIMEOUT":
			ran++ // admitted, but too late to run: it reaches no upstream either
		default:
			t.Errorf("request %d: %d %s, want 200, 503 or 504", i, a.status, a.body.Raw)
		}
	}
	// 2 at a time, each 150 ms unless its deadline ends it sooner, each within 400 ms of its arrival:
	// some run, and at least the last to arrive cannot. (How many run depends on how the arrivals
	// spread: one admitted late runs until its own deadline, UPSTREAM_TIMEOUT at the products.)
	if ran < 1 || overloaded < 1 || overloaded != n-ran {
		t.Fatalf("%d ran and %d were refused as overloaded, want some of each and nothing else", ran, overloaded)
	}
	t.Logf("%d ran, %d refused as overloaded", ran, overloaded)
	if got := e.cluster.Calls()[demo.Products][routeTop]; got > ran {
		t.Errorf("the products service saw %d top-products calls for %d requests that ran: a refused one reached it", got, ran)
	}
	if d := counterWhere(t, "trellis.graphql.refused", map[string]string{"reason": "server_overloaded"}) - refusedBefore; d != int64(overloaded) {
		t.Errorf("trellis.graphql.refused{reason=server_overloaded} grew by %d, want %d", d, overloaded)
	}
	if q := counterValue(t, "trellis.graphql.queued"); q != 0 {
		t.Errorf("trellis.graphql.queued is %d after the burst, want 0", q)
	}
}
