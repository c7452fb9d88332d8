package upstreams_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/upstreams"
	"github.com/trellisgw/trellis/upstreams/balancer"
)

// TestSixthUpstreamIsConfigOnly: an upstream no typed client knows, declared in the config alone, gets
// its pool of instances with the defaults' policy and its own override, active health checks on every
// instance, and a place in Ready (readiness).
func TestSixthUpstreamIsConfigOnly(t *testing.T) {
	var probes [2]atomic.Int64
	var down atomic.Bool
	var urls []string
	for i := range probes {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/healthz" {
				probes[i].Add(1)
			}
			if down.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	e := startEnv(t, data.Config{}, func(c *upstreams.Config) {
		c.Defaults.Traffic.Balancer.Policy = balancer.RoundRobin
		c.EditREST("billing", func(r *upstreams.RESTConfig) {
			r.URLs = urls
			r.Traffic.Resilience.Retry.Attempts = 1
			r.HealthCheck.Interval = 20 * time.Millisecond
		})
	})
	pool := e.clients.Pools()["billing"]
	if pool == nil {
		t.Fatal("no pool for billing")
	}
	if got := len(pool.Instances()); got != 2 {
		t.Errorf("billing has %d instances, want 2", got)
	}
	if got := pool.Policy(); got != balancer.RoundRobin {
		t.Errorf("billing's policy = %s, want the defaults' %s", got, balancer.RoundRobin)
	}
	if got := e.clients.Pools()["accounts"].Policy(); got != balancer.RoundRobin {
		t.Errorf("accounts' policy = %s, want the defaults' %s", got, balancer.RoundRobin)
	}
	waitFor(t, "ready", func() bool { return e.clients.Ready() == nil })
	deadline := time.Now().Add(10 * time.Second)
	for probes[0].Load() == 0 || probes[1].Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("health probes per instance: %d, %d; want both probed", probes[0].Load(), probes[1].Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	down.Store(true)
	waitFor(t, "billing unready", func() bool {
		err := e.clients.Ready()
		return err != nil && strings.Contains(err.Error(), "upstream billing")
	})
}
