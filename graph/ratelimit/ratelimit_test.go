package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellisgw/trellis/internal/redistest"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/graph/identity"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func memStore(t *testing.T, c *fakeClock) *MemoryStore {
	t.Helper()
	s, err := NewMemoryStore(10)
	if err != nil {
		t.Fatal(err)
	}
	s.now = c.now
	return s
}

var plan = Plan{Capacity: 100, RestoreRate: 10}

func TestMemoryBucket(t *testing.T) {
	clock := newClock()
	s := memStore(t, clock)
	ctx := context.Background()
	steps := []struct {
		name        string
		advance     time.Duration
		take        float64 // < 0: refund
		wantAllowed bool
		wantTokens  float64
	}{
		{name: "a new bucket is full", take: 60, wantAllowed: true, wantTokens: 40},
		{name: "lacking tokens refuses and takes nothing", take: 50, wantAllowed: false, wantTokens: 40},
		{name: "tokens flow back at the restore rate", advance: time.Second, take: 50, wantAllowed: true, wantTokens: 0},
		{name: "refund", take: -30, wantAllowed: true, wantTokens: 30},
		{name: "never above capacity", advance: time.Minute, take: -30, wantAllowed: true, wantTokens: 100},
		{name: "the whole capacity", take: 100, wantAllowed: true, wantTokens: 0},
	}
	for _, st := range steps {
		clock.add(st.advance)
		var b Bucket
		if st.take < 0 {
			b, _ = s.Refund(ctx, "k", plan, -st.take)
		} else {
			b, _ = s.Take(ctx, "k", plan, st.take)
		}
		if b.Allowed != st.wantAllowed || b.Tokens != st.wantTokens {
			t.Errorf("%s: got %+v, want allowed %v tokens %v", st.name, b, st.wantAllowed, st.wantTokens)
		}
	}
	if b, _ := s.Take(ctx, "other", plan, 100); !b.Allowed {
		t.Error("another key shares the bucket")
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		tokens, cost float64
		want         time.Duration
	}{
		{tokens: 40, cost: 50, want: time.Second},     // 10 lacking at 10/s
		{tokens: 0, cost: 95, want: 10 * time.Second}, // 9.5 s, rounded up
		{tokens: 60, cost: 50, want: 0},
	} {
		if got := (Bucket{Tokens: tt.tokens}).RetryAfter(plan, tt.cost); got != tt.want {
			t.Errorf("tokens %v cost %v: %s, want %s", tt.tokens, tt.cost, got, tt.want)
		}
	}
}

func TestClientIP(t *testing.T) {
	trusted, err := parsePrefixes([]string{"10.0.0.0/8", "192.168.1.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, remote, xff, want string
	}{
		{name: "direct", remote: "203.0.113.5:4000", want: "203.0.113.5"},
		{name: "untrusted peer's header is ignored", remote: "203.0.113.5:4000", xff: "1.2.3.4", want: "203.0.113.5"},
		{name: "trusted proxy", remote: "10.1.2.3:4000", xff: "198.51.100.7", want: "198.51.100.7"},
		{name: "rightmost untrusted hop wins over a spoofed left one", remote: "10.1.2.3:4000", xff: "6.6.6.6, 198.51.100.7, 192.168.1.1", want: "198.51.100.7"},
		{name: "all hops trusted: leftmost", remote: "10.1.2.3:4000", xff: "10.9.9.9, 192.168.1.1", want: "10.9.9.9"},
		{name: "garbage stops the walk", remote: "10.1.2.3:4000", xff: "198.51.100.7, nonsense", want: "10.1.2.3"},
		{name: "IPv6 peer", remote: "[2001:db8::1]:4000", want: "2001:db8::1"},
		{name: "IPv4-mapped IPv6", remote: "[::ffff:203.0.113.5]:4000", want: "203.0.113.5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := clientIP(r, trusted); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	SetHeaders(h, Status{Plan: "default", Capacity: 1000, RestoreRate: 50, Available: 399.7}, 3*time.Second)
	want := http.Header{
		"Ratelimit-Policy": {`"default";q=1000;w=20`},
		"Ratelimit":        {`"default";r=399;t=13`},
		"Retry-After":      {"3"},
	}
	if diff := cmp.Diff(h, want); diff != "" {
		t.Errorf("headers (-got +want):\n%s", diff)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := DefaultConfig()
	bad.Store = "disk"
	bad.Plans = map[string]Plan{"Gold Plan": {Capacity: 0, RestoreRate: -1}}
	bad.TrustedProxies = []string{"10.0.0.0/33"}
	bad.OnRedisError = "panic"
	err := bad.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, key := range []string{"store:", "plans.Gold Plan:", "plans.Gold Plan.capacity", "plans.Gold Plan.restore_rate", "default_plan:", "anonymous_plan:", "trusted_proxies:", "on_redis_error:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("no %q in:\n%v", key, err)
		}
	}
	redis := DefaultConfig()
	redis.Store = StoreRedis
	if err := redis.Validate(); err == nil || !strings.Contains(err.Error(), "redis.addr") {
		t.Errorf("store redis without an address: %v", err)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestLimiterChargeSettleAndUsage(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Enabled = true
	cfg.Plans = map[string]Plan{"default": {Capacity: 100, RestoreRate: 1}, "anonymous": {Capacity: 10, RestoreRate: 1}}
	l, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	clock := newClock()
	l.now, l.local.now = clock.now, clock.now
	ctx := identity.NewContext(context.Background(), &identity.Caller{UserID: "u1"})
	c := l.Client(ctx)
	if c.Key != "user:u1" || c.PlanName != "default" {
		t.Fatalf("client %+v", c)
	}
	r := l.Charge(ctx, c, 80)
	if !r.Allowed || r.Status.Available != 20 {
		t.Fatalf("charge: %+v", r)
	}
	if s := l.Settle(ctx, r, 30); s.Available != 70 {
		t.Errorf("after settling 30 of 80: %+v, want 70 available", s)
	}
	if r := l.Charge(ctx, c, 71); r.Allowed || r.RetryAfter != time.Second {
		t.Errorf("charge over the budget: %+v, want refused, retry in 1s", r)
	}
	anon := l.Client(context.Background())
	if anon.Key != "ip:unknown" || anon.PlanName != "anonymous" {
		t.Errorf("anonymous client %+v", anon)
	}
	periods := l.Usage().Snapshot(clock.now())
	got := periods[len(periods)-1].Clients
	want := []ClientUsage{{Client: "user:u1", Plan: "default", Points: 30, Operations: 1, Limited: 1}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("usage (-got +want):\n%s", diff)
	}
	clock.add(time.Minute)
	if periods := l.Usage().Snapshot(clock.now()); len(periods) != 2 || len(periods[1].Clients) != 0 {
		t.Errorf("after a minute: %+v, want the old period done and an empty current one", periods)
	}
}

func TestUsageOverflowFoldsIntoOther(t *testing.T) {
	u := newUsage(UsageConfig{Interval: time.Minute, Keep: 2, MaxClients: 2})
	now := newClock().now()
	for i := range 5 {
		u.record(now, Client{Key: "ip:" + strconv.Itoa(i), PlanName: "anonymous"}, 1, false)
	}
	p := u.Snapshot(now)[0]
	if len(p.Clients) != 3 || p.Clients[0].Client != otherClients || p.Clients[0].Points != 3 {
		t.Errorf("clients %+v, want 2 + other(3)", p.Clients)
	}
}

// redisAddr returns a Redis to test against: TRELLIS_TEST_REDIS_ADDR (set by `make test`), else a
// redis-server started here (redistest); the test is skipped when there is neither.
func redisAddr(t *testing.T) string {
	t.Helper()
	if addr := os.Getenv("TRELLIS_TEST_REDIS_ADDR"); addr != "" {
		return addr
	}
	return redistest.Start(t).Addr
}

func TestRedisStore(t *testing.T) {
	addr := redisAddr(t)
	a := NewRedisStore(cache.RedisConfig{Addr: addr, KeyPrefix: "unit:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":", Timeout: time.Second})
	b := NewRedisStore(cache.RedisConfig{Addr: addr, KeyPrefix: a.prefix, Timeout: time.Second})
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	p := Plan{Capacity: 100, RestoreRate: 1}
	got, err := a.Take(ctx, "k", p, 60)
	if err != nil || !got.Allowed || got.Tokens > 40.01 || got.Tokens < 40 {
		t.Fatalf("take 60 of a new bucket: %+v, %v", got, err)
	}
	// The other store (another gateway instance) sees the same bucket.
	if got, err := b.Take(ctx, "k", p, 60); err != nil || got.Allowed {
		t.Fatalf("take 60 of 40 elsewhere: %+v, %v", got, err)
	}
	if got, err := b.Refund(ctx, "k", p, 30); err != nil || got.Tokens < 70 || got.Tokens > 72 {
		t.Fatalf("refund 30: %+v, %v", got, err)
	}
	if got, err := a.Take(ctx, "k", p, 60); err != nil || !got.Allowed {
		t.Fatalf("take 60 of ~70: %+v, %v", got, err)
	}
	dead := NewRedisStore(cache.RedisConfig{Addr: "127.0.0.1:" + freePort(t), Timeout: 100 * time.Millisecond})
	defer dead.Close()
	if _, err := dead.Take(ctx, "k", p, 1); err == nil {
		t.Error("no error from a Redis that is not there")
	}
}

func TestIdentify(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Plans["gold"] = Plan{Capacity: 5, RestoreRate: 1}
	l, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ClientInfo(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		caller *identity.Caller
		want   Client
	}{
		{name: "anonymous: the peer address", want: Client{Key: "ip:198.51.100.9", Kind: "ip", PlanName: "anonymous", Plan: cfg.Plans["anonymous"]}},
		{name: "user", caller: &identity.Caller{Kind: identity.User, UserID: "42"}, want: Client{Key: "user:42", Kind: "user", PlanName: "default", Plan: cfg.Plans["default"]}},
		{name: "user with a plan claim", caller: &identity.Caller{Kind: identity.User, UserID: "42", Plan: "gold"}, want: Client{Key: "user:42", Kind: "user", PlanName: "gold", Plan: cfg.Plans["gold"]}},
		{name: "API key with its plan", caller: &identity.Caller{Kind: identity.APIKey, ClientID: "shop-app", Plan: "gold"}, want: Client{Key: "key:shop-app", Kind: "apikey", ClientID: "shop-app", PlanName: "gold", Plan: cfg.Plans["gold"]}},
		{name: "unknown plan: the default", caller: &identity.Caller{Kind: identity.APIKey, ClientID: "shop-app", Plan: "platinum"}, want: Client{Key: "key:shop-app", Kind: "apikey", ClientID: "shop-app", PlanName: "default", Plan: cfg.Plans["default"]}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.RemoteAddr = "198.51.100.9:5555"
			if tt.caller != nil {
				r = r.WithContext(identity.NewContext(r.Context(), tt.caller))
			}
			got := l.Client(info(r.Context(), httptest.NewRecorder(), r))
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("client (-got +want):\n%s", diff)
			}
		})
	}
}
