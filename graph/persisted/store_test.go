package persisted

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trellisgw/trellis/cache"
)

func TestConfigStoreValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none = valid
	}{
		{"default memory", Config{}, nil},
		{"redis with addr", Config{Store: StoreRedis, Redis: cache.RedisConfig{Addr: "127.0.0.1:6379"}}, nil},
		{"redis without addr", Config{Store: StoreRedis}, []string{"redis.addr: required"}},
		{"redis bad db", Config{Store: StoreRedis, Redis: cache.RedisConfig{Addr: "x:1", DB: -1}}, []string{"redis.db: must be >= 0"}},
		{"memory ignores redis", Config{Store: StoreMemory, Redis: cache.RedisConfig{DB: -1}}, nil},
		{"unknown store", Config{Store: "disk"}, []string{`store: must be "memory" or "redis", got "disk"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.WithDefaults().Validate()
			if (err == nil) != (len(tt.want) == 0) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestNewStore(t *testing.T) {
	mem, err := NewStore(Config{}.WithDefaults(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if _, ok := mem.(*cache.Memory[string]); !ok {
		t.Errorf("default store is %T, want *cache.Memory[string]", mem)
	}
	if _, err := NewStore(Config{Store: "disk"}.WithDefaults(), nil); err == nil || !strings.Contains(err.Error(), "persisted_queries.store") {
		t.Errorf("unknown store: err = %v", err)
	}
	if _, err := NewStore(Config{Store: StoreRedis}.WithDefaults(), nil); err == nil || !strings.Contains(err.Error(), "addr: required") {
		t.Errorf("redis without addr: err = %v", err)
	}

	addr := os.Getenv("TRELLIS_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("no Redis: set TRELLIS_TEST_REDIS_ADDR (scripts/with-redis.sh go test ./graph/persisted/)")
	}
	cfg := Config{Store: StoreRedis, Redis: cache.RedisConfig{Addr: addr, KeyPrefix: "test:pq:" + time.Now().Format(time.RFC3339Nano) + ":", Timeout: 2 * time.Second}}.WithDefaults()
	a, err := NewStore(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewStore(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	a.Add(ctx, "h", "{ a }")
	if v, ok := b.Get(ctx, "h"); !ok || v != "{ a }" {
		t.Fatalf("second store's Get = %q, %v; want the first store's entry", v, ok)
	}
}
