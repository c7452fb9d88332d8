package cache

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	c, err := NewMemory[int]("test", Config{Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Add(ctx, "a", 1)
	c.Add(ctx, "b", 2)
	if _, ok := c.Get(ctx, "a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.Add(ctx, "c", 3) // evicts b
	for key, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if _, ok := c.Get(ctx, key); ok != want {
			t.Errorf("Get(%q) present = %v, want %v", key, ok, want)
		}
	}
}

func TestMemoryExpires(t *testing.T) {
	ctx := context.Background()
	c, err := NewMemory[string]("test", Config{Size: 10, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	c.Add(ctx, "k", "v")
	now = now.Add(59 * time.Second)
	if v, ok := c.Get(ctx, "k"); !ok || v != "v" {
		t.Fatalf("before TTL: got %q %v, want v true", v, ok)
	}
	now = now.Add(time.Second)
	if _, ok := c.Get(ctx, "k"); ok {
		t.Fatal("entry alive at its TTL")
	}
	if c.Len() != 0 {
		t.Fatalf("expired entry kept: Len = %d", c.Len())
	}
}

func TestMemoryDeleteAndClose(t *testing.T) {
	ctx := context.Background()
	c, err := NewMemory[int]("test", Config{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(ctx, "a", 1)
	c.Delete(ctx, "a")
	if _, ok := c.Get(ctx, "a"); ok {
		t.Fatal("deleted entry found")
	}
	c.Add(ctx, "b", 2)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 0 {
		t.Fatalf("Close left %d entries", c.Len())
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		{name: "valid", cfg: Config{Size: 1}},
		{name: "valid ttl", cfg: Config{Size: 1, TTL: time.Second}},
		{name: "zero size", cfg: Config{}, want: []string{"size: must be > 0"}},
		{name: "both bad", cfg: Config{Size: -1, TTL: -time.Second}, want: []string{"size:", "ttl:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
	if _, err := NewMemory[int]("bad", Config{}); err == nil || !strings.Contains(err.Error(), "cache bad: size") {
		t.Fatalf("NewMemory with invalid config: err = %v", err)
	}
}

func TestMemoryConcurrent(t *testing.T) {
	ctx := context.Background()
	c, err := NewMemory[int]("test", Config{Size: 64, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				key := fmt.Sprint((g * i) % 100)
				c.Add(ctx, key, i)
				c.Get(ctx, key)
			}
		}()
	}
	wg.Wait()
	if c.Len() > 64 {
		t.Fatalf("Len = %d, over the size bound 64", c.Len())
	}
}

func ExampleMemory() {
	ctx := context.Background()
	docs, _ := NewMemory[string]("documents", Config{Size: 1000})
	defer docs.Close()
	docs.Add(ctx, "{ me { id } }", "parsed")
	v, ok := docs.Get(ctx, "{ me { id } }")
	fmt.Println(v, ok)
	// Output: parsed true
}

func TestMemoryByteBound(t *testing.T) {
	ctx := context.Background()
	size := func(_ string, v string) int64 { return int64(len(v)) }
	c, err := NewMemory[string]("test", Config{Size: 100}, WithMaxBytes(10, size))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Add(ctx, "a", "1234")
	c.Add(ctx, "b", "1234")
	if got := c.Bytes(); got != 8 {
		t.Fatalf("Bytes = %d, want 8", got)
	}
	c.Add(ctx, "a", "12") // replaced in place: 2 + 4
	if got := c.Bytes(); got != 6 {
		t.Fatalf("after replace: Bytes = %d, want 6", got)
	}
	c.Add(ctx, "c", "123456") // 12 > 10: evicts b (least recently used), then fits
	if _, ok := c.Get(ctx, "b"); ok {
		t.Error("b kept over the byte bound")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.Get(ctx, k); !ok {
			t.Errorf("%s evicted, want kept", k)
		}
	}
	if got := c.Bytes(); got != 8 {
		t.Fatalf("Bytes = %d, want 8", got)
	}
	c.Add(ctx, "a", "this is over ten bytes") // too heavy: not kept, and the old a is gone too
	if _, ok := c.Get(ctx, "a"); ok {
		t.Error("an entry heavier than the bound was kept (or the old value outlived it)")
	}
	if got := c.Bytes(); got != 6 {
		t.Fatalf("Bytes = %d, want 6", got)
	}
	c.Delete(ctx, "c")
	if got, n := c.Bytes(), c.Len(); got != 0 || n != 0 {
		t.Fatalf("after delete: Bytes %d Len %d, want 0 0", got, n)
	}
}

func TestMemoryAddTTLAndDeletePrefix(t *testing.T) {
	ctx := context.Background()
	c, err := NewMemory[int]("test", Config{Size: 10, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	c.AddTTL(ctx, "u\x001", 1, time.Second)
	c.AddTTL(ctx, "u\x002", 2, 0) // until evicted
	c.Add(ctx, "p\x001", 3)
	now = now.Add(time.Second)
	if _, ok := c.Get(ctx, "u\x001"); ok {
		t.Error("entry alive at its own TTL")
	}
	if _, ok := c.Get(ctx, "u\x002"); !ok {
		t.Error("entry without TTL expired")
	}
	if n := c.DeletePrefix("u\x00"); n != 1 {
		t.Errorf("DeletePrefix removed %d, want 1", n)
	}
	if _, ok := c.Get(ctx, "p\x001"); !ok {
		t.Error("DeletePrefix removed another prefix")
	}
	c.Purge()
	if c.Len() != 0 {
		t.Errorf("Len after Purge = %d", c.Len())
	}
}

func TestMemoryRefusesByteBoundWithoutSizer(t *testing.T) {
	if _, err := NewMemory[int]("test", Config{Size: 1}, WithMaxBytes[int](10, nil)); err == nil {
		t.Fatal("no error for a byte bound without a size function")
	}
}
