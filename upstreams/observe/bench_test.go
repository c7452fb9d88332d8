package observe_test

import (
	"context"
	"testing"

	"github.com/trellisgw/trellis/upstreams/observe"
)

// BenchmarkAttempt is one attempt's instrumentation (span, instance, status, metrics, call trace)
// with the global providers as a process without telemetry configured has them: spans not recorded.
func BenchmarkAttempt(b *testing.B) {
	in, err := observe.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = in.Close() })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, a := in.Start(ctx, "reviews", "GET /reviews", 1, "127.0.0.1:4403")
		a.SetStatus(200, false)
		a.End(nil)
	}
}
