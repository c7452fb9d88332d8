package e2e

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trellisgw/trellis/internal/redistest"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/ratelimit"
	"github.com/trellisgw/trellis/internal/demoupstreams"
)

// secondGateway starts another gateway over e's sample services with the tweaks, as a second instance
// of the same deployment.
func (e *env) secondGateway(t *testing.T, tweak ...func(*gateway.Config)) string {
	t.Helper()
	cfg := gateway.DefaultConfig()
	demoupstreams.Point(&cfg.Upstreams, e.cluster)
	for _, f := range tweak {
		f(&cfg)
	}
	gw, err := gateway.New(cfg)
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

// sharedBudget puts the signed-in users' budget in the Redis at addr: 300 points, one back per second.
func sharedBudget(addr, prefix string) func(*gateway.Config) {
	return func(c *gateway.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.Store = ratelimit.StoreRedis
		c.RateLimit.Redis.Addr = addr
		c.RateLimit.Redis.KeyPrefix = prefix
		c.RateLimit.Redis.Timeout = 2 * time.Second // a loaded test machine must not fail over by accident
		c.RateLimit.Plans = map[string]ratelimit.Plan{"default": {Capacity: 300, RestoreRate: 1}, "anonymous": {Capacity: 300, RestoreRate: 1}}
	}
}

// TestRedisSharedBudget: two gateway instances over one Redis enforce one budget per client.
func TestRedisSharedBudget(t *testing.T) {
	rs := redistest.Start(t)
	tweak := sharedBudget(rs.Addr, "t1:")
	e := newEnv(t, tweak)
	a, b := e.server.URL, e.secondGateway(t, tweak)
	// 1 + 10×(1+10) = 111 requested, 41 actual (10 users with 3 reviews each): 70 refunded.
	q := `{ users(first: 10) { nodes { reviews(first: 10) { id } } } }`
	var last costResponse
	for i, url := range []string{a, b, a, b, a, b} {
		last = post(t, url, "u1", q, nil, nil)
		if len(last.Errors) > 0 {
			if last.Errors[0].Extensions["code"] != "RATE_LIMITED" {
				t.Fatalf("operation %d: %+v", i, last.Errors)
			}
			// Each alone would allow 7 (300/41); together they had 300 points for 41 each and
			// refused the one that found less than 111 left: the fifth or sixth.
			if i < 4 {
				t.Fatalf("operation %d refused: the instances do not share the budget", i)
			}
			break
		}
		if ts := last.Cost.ThrottleStatus; ts == nil || ts.Available > 300-(i+1)*41+i+5 {
			t.Fatalf("operation %d left %+v of the budget: not charged in the shared bucket", i, ts)
		}
	}
	if len(last.Errors) == 0 {
		t.Fatal("six operations of 111 requested / 41 actual fit a 300-point budget shared by both instances")
	}
	// Another client is not affected.
	if r := post(t, b, "u2", q, nil, nil); len(r.Errors) > 0 {
		t.Errorf("another user was refused: %+v", r.Errors)
	}
}

// TestRedisStoppedFailsOpen: with Redis gone mid-test, operations still run (on the local bucket),
// never with a 5xx, and the metric says so.
func TestRedisStoppedFailsOpen(t *testing.T) {
	rs := redistest.Start(t)
	e := newEnv(t, sharedBudget(rs.Addr, "t2:"))
	q := `{ topProducts(first: 2) { upc } }`
	if r := post(t, e.server.URL, "u1", q, nil, nil); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("before: status %d, %+v", r.Status, r.Errors)
	}
	failOpen := decisions(t, "fail_open")
	rs.Stop()
	for i := range 5 {
		r := post(t, e.server.URL, "u1", q, nil, nil)
		if r.Status >= 500 || len(r.Errors) > 0 {
			t.Fatalf("after redis stopped, operation %d: status %d, %+v", i, r.Status, r.Errors)
		}
		if r.Cost.ThrottleStatus == nil || r.Cost.Actual != 2 {
			t.Errorf("operation %d: extensions.cost %+v", i, r.Cost)
		}
	}
	if got := decisions(t, "fail_open") - failOpen; got != 5 {
		t.Errorf("%d fail_open decisions, want 5", got)
	}
	if n := strings.Count(e.logs.String(), "ratelimit: redis unreachable"); n != 1 {
		t.Errorf("%d log lines say Redis is unreachable, want 1:\n%s", n, e.logs.String())
	}
}

// decisions returns the trellis.ratelimit.decisions count with decision=value.
func decisions(t *testing.T, value string) int64 {
	t.Helper()
	return counterWith(t, "trellis.ratelimit.decisions", "decision", value)
}

// counterWith returns the sum of the Int64 counter name over the data points whose attribute key is value.
func counterWith(t *testing.T, name, key, value string) int64 {
	t.Helper()
	return counterWhere(t, name, map[string]string{key: value})
}
