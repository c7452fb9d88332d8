package cache

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestMemoryFetch: Fetch answers what Get would for each key (a live entry, a stale one counted as a
// miss, an expired one dropped, a missing one), and counts the hits and misses as Get does.
func TestMemoryFetch(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(mp)
	t.Cleanup(func() { otel.SetMeterProvider(prev); _ = mp.Shutdown(context.Background()) })

	ctx := context.Background()
	c, err := NewMemory("fetch", Config{Size: 10}, WithFresh(func(v string) bool { return v != "stale" }))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	c.Add(ctx, "a", "live")
	c.Add(ctx, "b", "stale")
	c.AddTTL(ctx, "c", "expired", time.Second)
	now = now.Add(time.Second)

	type hit struct {
		I int
		V string
	}
	var got []hit
	c.Fetch(ctx, []string{"a", "b", "c", "d", "a"}, func(i int, v string) { got = append(got, hit{i, v}) })
	if diff := cmp.Diff(got, []hit{{0, "live"}, {1, "stale"}, {4, "live"}}); diff != "" {
		t.Errorf("found (-got +want):\n%s", diff)
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2 (the expired entry dropped)", c.Len())
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range sum.DataPoints {
					if v, _ := dp.Attributes.Value("cache"); v.AsString() == "fetch" {
						counts[m.Name] += dp.Value
					}
				}
			}
		}
	}
	if diff := cmp.Diff(counts, map[string]int64{"trellis.cache.hits": 2, "trellis.cache.misses": 3}); diff != "" {
		t.Errorf("counts (-got +want):\n%s", diff)
	}
}
