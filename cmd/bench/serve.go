package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/trellisgw/trellis/bench/floor"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/identity"
	"github.com/trellisgw/trellis/internal/demoupstreams"
	"github.com/trellisgw/trellis/internal/gctune"
	"github.com/trellisgw/trellis/upstreams"
	"github.com/trellisgw/trellis/upstreams/calltrace"
)

// services is the ready line of cmd/demo-services.
type services struct {
	Admin    string              `json:"admin"`
	Services map[string][]string `json:"services"`
}

// gatewayConfig is the built-in config pointed at the first instance of each sample service.
func gatewayConfig(s services) (gateway.Config, error) {
	cfg := gateway.DefaultConfig()
	for _, name := range cfg.Upstreams.Names() {
		if len(s.Services[name]) == 0 {
			return cfg, fmt.Errorf("no address for the %s service", name)
		}
		demoupstreams.Set(&cfg.Upstreams, name, s.Services[name][0])
	}
	cfg.Server.Addr = "127.0.0.1:0"
	return cfg, nil
}

// serveRole serves the gateway or the floor on a random loopback port until ctx ends. It prints one
// line, the base URL, to stdout once it listens.
func serveRole(ctx context.Context, role string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench "+role, flag.ContinueOnError)
	fs.SetOutput(stderr)
	svcJSON := fs.String("services", "", "the ready line of demo-services (JSON)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole serving time to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file once serving stops")
	schemaUsage := fs.Bool("schema-usage", true, "gateway: count field usage (schema_usage.enabled)")
	entityCache := fs.Bool("cache", false, "gateway: the entity cache on (cache.enabled)")
	memoryLimit := fs.Int64("memory-limit", 0, "runtime.memory_limit_bytes (0: the config's default)")
	maxOps := fs.Int("max-concurrent-operations", 0, "gateway: server.max_concurrent_operations (0: the config's default, -1: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var svcs services
	if err := json.Unmarshal([]byte(*svcJSON), &svcs); err != nil {
		return fmt.Errorf("-services: %w", err)
	}
	cfg, err := gatewayConfig(svcs)
	if err != nil {
		return err
	}
	cfg.Runtime.MemoryLimitBytes = *memoryLimit
	if err := cfg.Runtime.Validate(); err != nil {
		return fmt.Errorf("-memory-limit: %w", err)
	}
	gctune.Apply(cfg.Runtime, gctune.CgroupLimit(), gctune.MachineMemory()) // as cmd/gateway does; both sides alike
	cfg.Server.MaxConcurrentOperations = *maxOps
	if err := cfg.Server.Validate(); err != nil {
		return fmt.Errorf("-max-concurrent-operations: %w", err)
	}
	cfg.SchemaUsage.Enabled = schemaUsage
	cfg.Cache.Enabled = *entityCache
	st := &stats{}
	h, closeSide, err := sideHandler(role, cfg, st)
	if err != nil {
		return err
	}
	defer closeSide()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: st.wrap(h), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if *memProfile != "" {
		return writeHeapProfile(*memProfile)
	}
	return nil
}

// writeHeapProfile writes the heap profile to path: the allocations of the whole serving time
// (alloc_space, alloc_objects) and what was live at the last collection (inuse_space), which ran
// under load. No collection is forced: one now would show the idle heap instead.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}

// sideHandler assembles one side over cfg's upstreams, without the stats wrapper: the gateway
// ("gateway": gateway.New over cfg, exactly as cmd/gateway does, plus the benchmark's sign-in and the
// keys st counts) or the floor (any other role). release frees what it holds.
func sideHandler(role string, cfg gateway.Config, st *stats) (h http.Handler, release func(), err error) {
	if role == "gateway" {
		gw, err := gateway.New(cfg, gateway.WithRequestMiddleware(signInFromHeader), gateway.WithRequestMiddleware(st.countKeys))
		if err != nil {
			return nil, nil, err
		}
		return gw.Handler(), func() { _ = gw.Close() }, nil
	}
	clients, err := upstreams.New(cfg.WithDefaults().Upstreams)
	if err != nil {
		return nil, nil, err
	}
	return floor.New(clients, cfg.Server.RequestTimeout, cfg.Server.MaxBodyBytes, nil), func() { _ = clients.Close() }, nil
}

// signInFromHeader signs the caller in as the user the X-Bench-User header names: the benchmark's
// stand-in for authentication, in this binary only.
func signInFromHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(floor.UserHeader); id != "" {
			r = r.WithContext(identity.NewContext(r.Context(), &identity.Caller{UserID: id}))
		}
		next.ServeHTTP(w, r)
	})
}

// stats counts the /graphql requests a side served, so that upstream calls are divided by the
// requests that caused them (wrk does not count those still in flight when a run ends), and the
// responses that carried GraphQL errors. GET /_bench/stats answers them as JSON.
type stats struct {
	served, inflight, non2xx, gqlErrors, abandoned atomic.Int64
	cacheKeys, upstreamKeys                        atomic.Int64
}

// statsReport is the JSON of GET /_bench/stats.
type statsReport struct {
	Served    int64 `json:"served"`
	Inflight  int64 `json:"inflight"`
	Non2xx    int64 `json:"non2xx"`
	GQLErrors int64 `json:"gql_errors"`
	// Abandoned counts requests whose client had gone when they finished (wrk closes its connections
	// at the end of a run): their failures are not errors of the side.
	Abandoned int64 `json:"abandoned"`
	// CacheKeys counts the keys the gateway's entity cache answered (a hit, or a look-up joined to
	// another request's call in flight); UpstreamKeys the keys its upstream calls carried (a call that
	// is not a batch look-up, such as a page of users, counts as one key). The floor counts neither.
	CacheKeys    int64 `json:"cache_keys"`
	UpstreamKeys int64 `json:"upstream_keys"`
}

// report returns the counts so far.
func (s *stats) report() statsReport {
	return statsReport{Served: s.served.Load(), Inflight: s.inflight.Load(),
		Non2xx: s.non2xx.Load(), GQLErrors: s.gqlErrors.Load(), Abandoned: s.abandoned.Load(),
		CacheKeys: s.cacheKeys.Load(), UpstreamKeys: s.upstreamKeys.Load()}
}

func (s *stats) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_bench/stats" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(s.report())
			return
		}
		if r.URL.Path != "/graphql" {
			next.ServeHTTP(w, r)
			return
		}
		s.inflight.Add(1)
		sw := &sniffer{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		switch {
		case r.Context().Err() != nil:
			s.abandoned.Add(1)
		case sw.status < 200 || sw.status > 299:
			s.non2xx.Add(1)
		case sw.hasErrors():
			s.gqlErrors.Add(1)
		}
		s.served.Add(1)
		s.inflight.Add(-1)
	})
}

// countKeys adds up, once a request has run, the keys its upstream look-ups asked for: those the cache
// answered and those sent upstream, read from the request's call trace (the gateway's telemetry puts
// one in the context, outside this middleware).
func (s *stats) countKeys(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		rec := calltrace.FromContext(r.Context())
		if rec == nil {
			return
		}
		var cached, sent int64
		for _, c := range rec.Calls() {
			switch {
			case c.CacheHit:
				cached += int64(c.BatchSize)
			case c.Attempt == 1: // a retry carries the same keys again
				sent += int64(max(c.BatchSize, 1))
			}
		}
		s.cacheKeys.Add(cached)
		s.upstreamKeys.Add(sent)
	})
}

// sniffer keeps a response's status, its first bytes and its last few KiB: enough to see a top-level
// "errors" member, whichever side of "data" an encoder puts it, at the cost of a small copy.
type sniffer struct {
	http.ResponseWriter
	status int
	head   []byte
	tail   []byte
}

const tailSize = 4 << 10

func (s *sniffer) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *sniffer) Write(b []byte) (int, error) {
	if len(s.head) < 16 {
		s.head = append(s.head, b[:min(len(b), 16-len(s.head))]...)
	}
	if len(b) >= tailSize {
		s.tail = append(s.tail[:0], b[len(b)-tailSize:]...)
	} else {
		s.tail = append(s.tail, b...)
		if len(s.tail) > tailSize {
			s.tail = s.tail[len(s.tail)-tailSize:]
		}
	}
	return s.ResponseWriter.Write(b)
}

func (s *sniffer) hasErrors() bool {
	return bytes.HasPrefix(s.head, []byte(`{"errors":`)) || bytes.Contains(s.tail, []byte(`"errors":[`))
}
