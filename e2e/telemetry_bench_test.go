package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/trellisgw/trellis/gateway"
)

// BenchmarkReferenceQueryTelemetry measures what the request instrumentation costs on the reference
// query: "bare" is the gateway without it (gateway.WithoutTelemetry), "instrumented" is the gateway as
// cmd/gateway runs it without a trace endpoint (an SDK tracer provider that samples nothing, so spans
// get ids but are not recorded; metrics aggregated by the SDK). Compare the two with benchstat:
//
//	go test -run '^$' -bench ReferenceQueryTelemetry -count 6 ./e2e | benchstat -col /telemetry -
//
// -count repeats each sub-benchmark in a row; on a shared machine, rather run the command several
// times so that the two alternate.
func BenchmarkReferenceQueryTelemetry(b *testing.B) {
	prev := otel.GetTracerProvider()
	unsampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	otel.SetTracerProvider(unsampled)
	b.Cleanup(func() {
		otel.SetTracerProvider(prev)
		_ = unsampled.Shutdown(b.Context())
	})
	e := newEnv(b)
	body, _ := json.Marshal(map[string]any{"query": referenceQuery(b)})
	for _, bc := range []struct {
		name string
		opts []gateway.Option
	}{
		{"telemetry=bare", []gateway.Option{gateway.WithoutTelemetry()}},
		{"telemetry=instrumented", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			base := e.gatewayOver(b, nil, bc.opts...)
			client := &http.Client{}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				resp, err := client.Post(base+"/graphql", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			// CPU time of the whole process (gateway and in-process services) per request: steadier
			// than wall time on a shared machine, where waiting for a core dominates.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			client.CloseIdleConnections()
		})
	}
}

// cpuTime returns the user and system CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
