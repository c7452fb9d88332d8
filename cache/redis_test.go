package cache

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// testRedis returns a cache over TRELLIS_TEST_REDIS_ADDR (set by scripts/with-redis.sh) with a key
// prefix of the test's own, or skips the test.
func testRedis(t *testing.T, ttl time.Duration) *Redis {
	t.Helper()
	addr := os.Getenv("TRELLIS_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("no Redis: set TRELLIS_TEST_REDIS_ADDR (scripts/with-redis.sh go test ./cache/)")
	}
	cfg := RedisConfig{Addr: addr, KeyPrefix: fmt.Sprintf("test:%s:%d:", t.Name(), time.Now().UnixNano()), Timeout: 2 * time.Second}
	r, err := NewRedisFromConfig("test", cfg, ttl, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestRedisGetAddDelete(t *testing.T) {
	r := testRedis(t, time.Hour)
	ctx := context.Background()
	steps := []struct {
		name   string
		do     func()
		key    string
		want   string
		wantOK bool
	}{
		{"missing", func() {}, "a", "", false},
		{"added", func() { r.Add(ctx, "a", "query { a }") }, "a", "query { a }", true},
		{"replaced", func() { r.Add(ctx, "a", "query { b }") }, "a", "query { b }", true},
		{"empty value", func() { r.Add(ctx, "e", "") }, "e", "", true},
		{"other key untouched", func() {}, "b", "", false},
		{"deleted", func() { r.Delete(ctx, "a") }, "a", "", false},
		{"delete missing is fine", func() { r.Delete(ctx, "nope") }, "nope", "", false},
	}
	for _, s := range steps {
		s.do()
		got, ok := r.Get(ctx, s.key)
		if got != s.want || ok != s.wantOK {
			t.Errorf("%s: Get(%q) = %q, %v; want %q, %v", s.name, s.key, got, ok, s.want, s.wantOK)
		}
	}
	// Keys carry the prefix in Redis, and the TTL is Redis's.
	pttl, err := r.client.PTTL(ctx, r.prefix+"e").Result()
	if err != nil || pttl <= 0 || pttl > time.Hour {
		t.Errorf("PTTL of prefixed key = %s, %v; want in (0, 1h]", pttl, err)
	}
}

func TestRedisNoTTL(t *testing.T) {
	r := testRedis(t, 0)
	ctx := context.Background()
	r.Add(ctx, "k", "v")
	pttl, err := r.client.PTTL(ctx, r.prefix+"k").Result()
	if err != nil || pttl != -1 { // go-redis reports "no expiry" as -1 (nanoseconds)
		t.Fatalf("PTTL = %d, %v; want -1 (no expiry)", pttl, err)
	}
}

func TestRedisExpires(t *testing.T) {
	r := testRedis(t, 50*time.Millisecond)
	ctx := context.Background()
	r.Add(ctx, "k", "v")
	// Redis expires the key by its own clock; poll, with a generous bound, until it has.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := r.Get(ctx, "k"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("entry with a 50ms TTL still there after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, err := r.client.Exists(ctx, r.prefix+"k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after expiry = %d, %v; want 0", n, err)
	}
}

// TestRedisDownIsMiss: with no Redis listening, every operation returns promptly as a miss, counts an
// error, and nothing panics.
func TestRedisDownIsMiss(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(mp)
	t.Cleanup(func() { otel.SetMeterProvider(prev); _ = mp.Shutdown(context.Background()) })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r, err := NewRedisFromConfig("down", RedisConfig{Addr: addr, KeyPrefix: "p:", Timeout: 200 * time.Millisecond}, time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	r.Add(ctx, "k", "v")
	if v, ok := r.Get(ctx, "k"); ok || v != "" {
		t.Fatalf("Get with Redis down = %q, %v; want a miss", v, ok)
	}
	r.Delete(ctx, "k")

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range sum.DataPoints {
					if v, _ := dp.Attributes.Value("cache"); v.AsString() == "down" {
						got[m.Name] += dp.Value
					}
				}
			}
		}
	}
	// The first failure starts the back-off: Get and Delete then leave Redis alone.
	want := map[string]int64{"trellis.cache.errors": 1, "trellis.cache.misses": 1}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s = %d, want %d (all: %v)", name, got[name], n, got)
		}
	}
}

// TestRedisCancelledContext: a caller's cancelled context is a miss, not a hang or a panic.
func TestRedisCancelledContext(t *testing.T) {
	r := testRedis(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	r.Add(context.Background(), "k", "v")
	cancel()
	if _, ok := r.Get(ctx, "k"); ok {
		t.Fatal("Get with a cancelled context found the entry")
	}
	if v, ok := r.Get(context.Background(), "k"); !ok || v != "v" {
		t.Fatalf("Get = %q, %v; want v, true", v, ok)
	}
}

func TestRedisConcurrent(t *testing.T) {
	r := testRedis(t, time.Minute)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				k := fmt.Sprintf("k%d", (i*50+j)%20)
				r.Add(ctx, k, k)
				if v, ok := r.Get(ctx, k); ok && v != k {
					t.Errorf("Get(%q) = %q", k, v)
				}
			}
		}()
	}
	wg.Wait()
}

func TestNewRedisRejects(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	tests := []struct {
		name    string
		client  redis.UniversalClient
		ttl     time.Duration
		timeout time.Duration
		want    string
	}{
		{"nil client", nil, 0, time.Second, "nil Redis client"},
		{"negative ttl", c, -time.Second, time.Second, "ttl"},
		{"zero timeout", c, 0, 0, "timeout"},
	}
	for _, tt := range tests {
		_, err := NewRedis("x", tt.client, "p:", tt.ttl, tt.timeout, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestRedisConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  RedisConfig
		want []string
	}{
		{"valid", RedisConfig{Addr: "127.0.0.1:6379", Timeout: time.Second}, nil},
		{"all wrong", RedisConfig{DB: -1}, []string{"addr: required", "db: must be >= 0", "timeout: must be > 0"}},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (err == nil) != (len(tt.want) == 0) {
			t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, w)
			}
		}
	}
}
