package hotpaths

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/bench/floor"
	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/generated"
	"github.com/trellisgw/trellis/graph/identity"
	"github.com/trellisgw/trellis/internal/demoupstreams"
	"github.com/trellisgw/trellis/internal/gctune"
	"github.com/trellisgw/trellis/resolvers"
	"github.com/trellisgw/trellis/resolvers/loaders"
	"github.com/trellisgw/trellis/upstreams"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// benchData is make bench's data set: the reference response is about 88 KB.
var benchData = data.Config{Seed: 1, Users: 90, Products: 35, ReviewsPerUser: 2, OrdersPerUser: 2, TopProducts: 20}

func referenceBody(tb testing.TB) []byte {
	b, err := json.Marshal(map[string]any{"query": floor.ReferenceQuery, "variables": map[string]any{"users": 10}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkRequestDecoding decodes a reference request body as the GraphQL transports do (numbers
// kept as json.Number).
func BenchmarkRequestDecoding(b *testing.B) {
	body := referenceBody(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var p graphql.RawParams
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&p); err != nil {
			b.Fatal(err)
		}
	}
}

// newExecutor is the gqlgen executor over the gateway's schema with a document cache as the gateway
// configures it; no upstream is called by parsing and validation.
func newExecutor(tb testing.TB) *executor.Executor {
	clients, err := upstreams.New(upstreams.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = clients.Close() })
	docs, err := cache.NewMemory[*ast.QueryDocument]("documents", cache.Config{Size: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	exec := executor.New(generated.NewExecutableSchema(resolvers.New(clients, loaders.New(clients)).Config()))
	exec.SetQueryCache(docs)
	return exec
}

// BenchmarkParseValidate builds the operation context of the reference query: from the document cache
// (hit), and parsing and validating a text never seen before (miss).
func BenchmarkParseValidate(b *testing.B) {
	ctx := graphql.StartOperationTrace(context.Background())
	b.Run("hit", func(b *testing.B) {
		exec := newExecutor(b)
		params := &graphql.RawParams{Query: floor.ReferenceQuery, ReadTime: graphql.TraceTiming{Start: time.Now()}}
		if _, errs := exec.CreateOperationContext(ctx, params); errs != nil {
			b.Fatal(errs)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, errs := exec.CreateOperationContext(ctx, params); errs != nil {
				b.Fatal(errs)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		exec := newExecutor(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++ // a new text each time: a comment changes the cache key, not the work
			params := &graphql.RawParams{Query: floor.ReferenceQuery + "# " + fmt.Sprint(i)}
			if _, errs := exec.CreateOperationContext(ctx, params); errs != nil {
				b.Fatal(errs)
			}
		}
	})
}

// signIn signs the caller in as the user floor.UserHeader names, as cmd/bench's gateway does.
func signIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(floor.UserHeader); id != "" {
			r = r.WithContext(identity.NewContext(r.Context(), &identity.Caller{UserID: id}))
		}
		next.ServeHTTP(w, r)
	})
}

// sides starts the sample services (no added latency) with the benchmark's data set, and returns the
// gateway's and the floor's handlers over them.
func sides(tb testing.TB) (gw, fl http.Handler) {
	cfg := gateway.DefaultConfig()
	demoupstreams.Point(&cfg.Upstreams, startCluster(tb))
	clients, err := upstreams.New(cfg.Upstreams)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = clients.Close() })
	return newGateway(tb, cfg), floor.New(clients, cfg.Server.RequestTimeout, cfg.Server.MaxBodyBytes, nil)
}

// startCluster starts the sample services with the benchmark's data set, stopped when tb ends.
func startCluster(tb testing.TB) *demo.Cluster {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cluster, err := demo.Start(ctx, demo.Config{Data: benchData})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cluster.Close() })
	return cluster
}

// newGateway returns the handler of a gateway over cfg, as cmd/bench's gateway (signIn), closed when
// tb ends.
func newGateway(tb testing.TB, cfg gateway.Config) http.Handler {
	g, err := gateway.New(cfg, gateway.WithRequestMiddleware(signIn))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = g.Close() })
	return g.Handler()
}

// BenchmarkReferenceExecution serves the reference query through the gateway's handler (no client
// HTTP: the handler is called directly) against the sample services on loopback, and the floor's for
// comparison. The sample services run in the same process, so their CPU is part of each figure.
func BenchmarkReferenceExecution(b *testing.B) {
	gw, fl := sides(b)
	benchSides(b, gw, fl, referenceBody(b))
}

// BenchmarkSmallExecution is BenchmarkReferenceExecution for the small query (one product, two
// fields): what a request costs beyond its fields.
func BenchmarkSmallExecution(b *testing.B) {
	gw, fl := sides(b)
	body, err := json.Marshal(map[string]any{"query": floor.SmallQuery, "variables": map[string]any{"upc": "p7"}})
	if err != nil {
		b.Fatal(err)
	}
	benchSides(b, gw, fl, body)
}

// BenchmarkMutation is BenchmarkReferenceExecution for the mutation (one order placed by a signed-in
// user: one upstream call).
func BenchmarkMutation(b *testing.B) {
	gw, fl := sides(b)
	body, err := json.Marshal(map[string]any{"query": floor.PlaceOrderMutation,
		"variables": map[string]any{"items": []map[string]any{{"productUpc": "p3", "quantity": 2}}}})
	if err != nil {
		b.Fatal(err)
	}
	benchSides(b, gw, fl, body)
}

// benchSides serves body through gw and fl, one sub-benchmark each, as the signed-in user "3".
func benchSides(b *testing.B, gw, fl http.Handler, body []byte) {
	for _, side := range []struct {
		name string
		h    http.Handler
	}{{"gateway", gw}, {"floor", fl}} {
		b.Run(side.name, func(b *testing.B) {
			b.ReportAllocs()
			var size int
			cpu0 := processCPU(b)
			for b.Loop() {
				var err error
				if size, err = serve(side.h, body); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size), "resp-bytes")
			// CPU time is steadier than wall time on a shared machine; it includes the sample services.
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkSchemaUsage serves a small query (the one where a fixed per-request cost shows most)
// and the reference query through the handlers of two gateways over the same sample services, one
// with field usage accounting (schema_usage.enabled) off and one with it on, from a client naming
// itself: compare the two columns with `benchstat -col /usage`. Both gateways live through both runs,
// so that neither runs beside more live state than the other.
func BenchmarkSchemaUsage(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cluster, err := demo.Start(ctx, demo.Config{Data: benchData})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cluster.Close() })
	handlers := map[bool]http.Handler{}
	for _, on := range []bool{false, true} {
		cfg := gateway.DefaultConfig()
		demoupstreams.Point(&cfg.Upstreams, cluster)
		cfg.SchemaUsage.Enabled = &on
		g, err := gateway.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = g.Close() })
		handlers[on] = g.Handler()
	}
	small, err := json.Marshal(map[string]any{"query": `query Small { product(upc: "p1") { name price } }`})
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct {
		name string
		body []byte
	}{{"small", small}, {"reference", referenceBody(b)}} {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprintf("query=%s/usage=%s", q.name, map[bool]string{false: "off", true: "on"}[on]), func(b *testing.B) {
				b.ReportAllocs()
				cpu0 := processCPU(b)
				for b.Loop() {
					req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(q.body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("apollographql-client-name", "bench-app")
					req.Header.Set("apollographql-client-version", "1.0.0")
					rec := httptest.NewRecorder()
					handlers[on].ServeHTTP(rec, req)
					if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), `{"data"`) {
						b.Fatalf("status %d: %.300s", rec.Code, rec.Body.String())
					}
				}
				b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// serve posts body to h as the signed-in user "3" and returns the response's size, or an error for a
// response that is not a success with data.
func serve(h http.Handler, body []byte) (int, error) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(floor.UserHeader, "3")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), `{"data"`) {
		return 0, fmt.Errorf("status %d: %.300s", rec.Code, rec.Body.String())
	}
	return rec.Body.Len(), nil
}

// BenchmarkConcurrentReference serves the reference query from 256 clients at once, each sending its
// next request as soon as it has an answer (make bench's reference-256 scenario, in process: 2 ms
// added to every upstream call, the collector at the gateway's GC percent), through a gateway with
// the admission gate at its default (gate=on: server.max_concurrent_operations 0, 32 × GOMAXPROCS) and
// one without (gate=off: -1). peak-heap-MB is the largest heap seen (live and not yet collected
// objects, sampled every millisecond), the sample services' included: what the gate is for.
func BenchmarkConcurrentReference(b *testing.B) {
	const clients = 256
	defer debug.SetGCPercent(debug.SetGCPercent(gctune.DefaultGCPercent))
	cluster := startCluster(b)
	for _, svc := range demo.Services() {
		if err := cluster.SetFault(svc, -1, faults.Fault{Latency: 2 * time.Millisecond}); err != nil {
			b.Fatal(err)
		}
	}
	body := referenceBody(b)
	for _, gate := range []struct {
		name  string
		limit int
	}{{"on", 0}, {"off", -1}} {
		b.Run("gate="+gate.name, func(b *testing.B) {
			cfg := gateway.DefaultConfig()
			demoupstreams.Point(&cfg.Upstreams, cluster)
			cfg.Server.MaxConcurrentOperations = gate.limit
			h := newGateway(b, cfg)
			if _, err := serve(h, body); err != nil { // connect first
				b.Fatal(err)
			}
			runtime.GC()
			b.ReportAllocs()
			b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			peak, stop := sampleHeap()
			cpu0 := processCPU(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := serve(h, body); err != nil {
						b.Error(err) // not Fatal: this is not the benchmark's goroutine
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
			stop()
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
		})
	}
}

// sampleHeap samples the heap's objects (live and not yet collected) every millisecond into peak, the
// largest seen, until stop is called.
func sampleHeap() (peak *atomic.Uint64, stop func()) {
	peak = &atomic.Uint64{}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return peak, func() { close(done); <-finished }
}

// processCPU returns the user and system CPU time the test process has used, in nanoseconds.
func processCPU(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkResponseEncoding encodes the reference response's data (87 KB, already JSON) into the
// GraphQL response as gqlgen's own transports do: json.Marshal of graphql.Response, which compacts and
// re-escapes the data a second time. The gateway's transport (graph/respond.go) writes the data as it
// is; this is the cost that saves, kept to compare.
func BenchmarkResponseEncoding(b *testing.B) {
	gw, _ := sides(b)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(referenceBody(b)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, req)
	var resp graphql.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(resp.Data)))
	for b.Loop() {
		if _, err := json.Marshal(&resp); err != nil {
			b.Fatal(err)
		}
	}
}
