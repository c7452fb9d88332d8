package hotpaths

import (
	"context"
	"strconv"
	"testing"

	"github.com/trellisgw/trellis/internal/demoupstreams"
	"github.com/trellisgw/trellis/upstreams"
)

// clients starts the sample services with the benchmark's data set and returns the typed clients over
// them, configured as the gateway's defaults configure them (no entity cache).
func clients(tb testing.TB) *upstreams.Clients {
	cfg := upstreams.DefaultConfig()
	demoupstreams.Point(&cfg, startCluster(tb))
	c, err := upstreams.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// batchKeys is a batch of n keys "<prefix>1" … "<prefix>n", the sample data's ids.
func batchKeys(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = prefix + strconv.Itoa(i+1)
	}
	return keys
}

// BenchmarkRESTBatch is one batched REST call, the reviews of 10 authors (about 20 reviews, as the
// reference query's first level asks), through the typed client against the sample reviews service on
// loopback: the client's own cost (URL, request, spans, metrics, JSON decoding) plus the service's.
func BenchmarkRESTBatch(b *testing.B) {
	c := clients(b)
	ids := batchKeys("", 10)
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := processCPU(b)
	for b.Loop() {
		rs, err := c.Reviews.ByAuthors(ctx, ids)
		if err != nil || len(rs) == 0 {
			b.Fatalf("got %d reviews, err %v", len(rs), err)
		}
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkGRPCCall is one gRPC call, the stock of 10 products, through the typed client against the
// sample inventory service on loopback: the interceptor, picker, spans and metrics plus grpc-go and
// the service.
func BenchmarkGRPCCall(b *testing.B) {
	c := clients(b)
	upcs := batchKeys("p", 10)
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := processCPU(b)
	for b.Loop() {
		st, err := c.Inventory.StockByUPC(ctx, upcs)
		if err != nil || len(st) != len(upcs) {
			b.Fatalf("got %d stock entries, err %v", len(st), err)
		}
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}
