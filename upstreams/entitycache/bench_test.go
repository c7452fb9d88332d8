package entitycache

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// BenchmarkLoad is one batch look-up of 20 keys: all cached (hits), and none (misses, one fetch that
// finds them all; the entries are purged after each look-up).
func BenchmarkLoad(b *testing.B) {
	keys := make([]string, 20)
	for i := range keys {
		keys[i] = "p" + strconv.Itoa(i+1)
	}
	fetch := func(_ context.Context, keys []string) (map[string]string, error) {
		out := make(map[string]string, len(keys))
		for _, k := range keys {
			out[k] = k
		}
		return out, nil
	}
	ctx := context.Background()
	for _, hit := range []bool{true, false} {
		name := map[bool]string{true: "hits", false: "misses"}[hit]
		b.Run(name, func(b *testing.B) {
			k, err := NewKind("bench_by_id", "bench", "GET /bench", Policy{TTL: time.Minute, Scope: Public, MaxEntries: 1000, MaxBytes: 1 << 20},
				nil, func(v string) int64 { return int64(len(v)) })
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = k.Close() })
			if _, err := k.Load(ctx, keys, fetch); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if !hit {
					k.Purge(ctx)
				}
				got, err := k.Load(ctx, keys, fetch)
				if err != nil || len(got) != len(keys) {
					b.Fatalf("got %d, err %v", len(got), err)
				}
			}
		})
	}
}
