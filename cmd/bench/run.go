package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trellisgw/trellis/bench/floor"
	"github.com/trellisgw/trellis/demo/admin"
	"github.com/trellisgw/trellis/demo/faults"
)

// options are run's flags.
type options struct {
	bin         string
	out         string
	duration    time.Duration
	warmup      time.Duration
	rounds      int
	conns       int
	highConns   int
	latency     time.Duration
	users       int
	products    int
	reviews     int
	scenarioSet string
	profile     string
	// memoryLimit is runtime.memory_limit_bytes of both sides (0: the config's default).
	memoryLimit int64
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", "bin", "directory holding demo-services")
	fs.StringVar(&o.out, "out", filepath.Join("bench", "results"), "results folder (git-ignored)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measured run (whole seconds)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured run per side before each scenario")
	fs.IntVar(&o.rounds, "rounds", 2, "alternations of the sides' runs (gateway, gateway-no-usage, floor) per scenario")
	fs.IntVar(&o.conns, "connections", 64, "concurrent connections of the normal scenarios")
	fs.IntVar(&o.highConns, "high-connections", 256, "concurrent connections of the high-concurrency scenario")
	fs.DurationVar(&o.latency, "latency", 2*time.Millisecond, "latency added to every upstream call")
	fs.IntVar(&o.users, "users", 90, "users in the data set (90/35/2 make the reference response ~88 KB)")
	fs.IntVar(&o.products, "products", 35, "products in the data set")
	fs.IntVar(&o.reviews, "reviews-per-user", 2, "reviews per user in the data set")
	fs.StringVar(&o.scenarioSet, "scenarios", "reference,small,mutation,reference-256", "scenarios to run, comma-separated")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the gateway over the whole benchmark to this file")
	fs.Int64Var(&o.memoryLimit, "memory-limit", 0, "runtime.memory_limit_bytes of both sides, gateway and floor (0: the config's default, -1: none)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.memoryLimit < -1 {
		return o, errors.New("-memory-limit must be -1 (none), 0 (the default) or a number of bytes")
	}
	if o.duration < time.Second || o.rounds < 1 || o.conns < 1 || o.highConns < 1 {
		return o, errors.New("-duration must be at least 1s, -rounds and the connections at least 1")
	}
	return o, nil
}

// scenario is one operation driven at one concurrency.
type scenario struct {
	Name        string         `json:"name"`
	Connections int            `json:"connections"`
	Query       string         `json:"-"`
	Variables   map[string]any `json:"variables,omitempty"`
	// SameBytes: the two sides' data must be byte-identical (not for the mutation: new ids).
	SameBytes bool `json:"-"`
}

func scenarios(o options) ([]scenario, error) {
	all := map[string]scenario{
		"reference":     {Name: "reference", Connections: o.conns, Query: floor.ReferenceQuery, SameBytes: true},
		"small":         {Name: "small", Connections: o.conns, Query: floor.SmallQuery, Variables: map[string]any{"upc": "p7"}, SameBytes: true},
		"mutation":      {Name: "mutation", Connections: o.conns, Query: floor.PlaceOrderMutation, Variables: map[string]any{"items": []map[string]any{{"productUpc": "p3", "quantity": 1}}}},
		"reference-256": {Name: "reference-" + strconv.Itoa(o.highConns), Connections: o.highConns, Query: floor.ReferenceQuery, SameBytes: true},
	}
	var out []scenario
	for _, name := range strings.Split(o.scenarioSet, ",") {
		s, ok := all[strings.TrimSpace(name)]
		if !ok {
			return nil, fmt.Errorf("-scenarios: unknown %q (reference, small, mutation, reference-256)", name)
		}
		out = append(out, s)
	}
	return out, nil
}

// side is one of the two servers measured.
type side struct {
	name string
	url  string
	proc *child
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	scens, err := scenarios(o)
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found: install it (Debian: apt-get install wrk, as root); make bench does when it can")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "trellis-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	demoProc, ready, err := startChild(ctx, tmp, "demo-services", filepath.Join(o.bin, "demo-services"),
		"-users", strconv.Itoa(o.users), "-products", strconv.Itoa(o.products),
		"-reviews-per-user", strconv.Itoa(o.reviews), "-admin-addr", "127.0.0.1:0", "-log-level", "warn",
		"-accounts-port", "0", "-products-port", "0", "-reviews-port", "0", "-inventory-port", "0", "-orders-port", "0")
	if err != nil {
		return err
	}
	defer demoProc.stop()
	var svcs services
	if err := json.Unmarshal([]byte(ready), &svcs); err != nil {
		return fmt.Errorf("demo-services ready line %q: %w", ready, err)
	}
	adm := admin.NewClient(svcs.Admin)
	for svc := range svcs.Services {
		if err := adm.SetFault(ctx, svc, -1, faults.Fault{Latency: o.latency}); err != nil {
			return fmt.Errorf("set the latency of %s: %w", svc, err)
		}
	}

	var sides []side
	for _, name := range sideNames {
		role, args := name, []string{}
		if name == sideNoUsage { // the gateway as it is, but for field usage accounting
			role, args = "gateway", []string{"-schema-usage=false"}
		}
		args = append([]string{role, "-services", ready, "-memory-limit", strconv.FormatInt(o.memoryLimit, 10)}, args...)
		if name == "gateway" && o.profile != "" {
			args = append(args, "-cpuprofile", o.profile)
		}
		p, url, err := startChild(ctx, tmp, name, self, args...)
		if err != nil {
			return err
		}
		defer p.stop()
		sides = append(sides, side{name: name, url: url, proc: p})
	}
	script := filepath.Join(tmp, "post.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return err
	}

	rep := report{
		Started: time.Now().UTC(), Duration: o.duration.String(), Rounds: o.rounds, Latency: o.latency.String(),
		Data:        fmt.Sprintf("users=%d products=%d reviews-per-user=%d", o.users, o.products, o.reviews),
		MemoryLimit: o.memoryLimit,
		CPUs:        cpuCount(),
	}
	m := &measurer{o: o, adm: adm, script: script, tmp: tmp}
	for _, sc := range scens {
		fmt.Fprintf(stderr, "bench: %s (%d connections)\n", sc.Name, sc.Connections)
		res, err := m.scenario(ctx, sc, sides)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.Name, err)
		}
		rep.Scenarios = append(rep.Scenarios, res)
	}
	return rep.write(o.out, stdout)
}

// measurer runs the measured runs of a benchmark.
type measurer struct {
	o      options
	adm    *admin.Client
	script string
	tmp    string
}

// scenario checks a sample response of each side, warms both up, then alternates measured runs.
func (m *measurer) scenario(ctx context.Context, sc scenario, sides []side) (scenarioResult, error) {
	body, err := json.Marshal(map[string]any{"query": sc.Query, "variables": sc.Variables})
	if err != nil {
		return scenarioResult{}, err
	}
	bodyFile := filepath.Join(m.tmp, sc.Name+".json")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		return scenarioResult{}, err
	}
	res := scenarioResult{Name: sc.Name, Connections: sc.Connections}
	var first []byte
	for _, s := range sides {
		b, err := sample(ctx, s.url, body)
		if err != nil {
			return res, fmt.Errorf("%s: sample response: %w", s.name, err)
		}
		if sc.SameBytes && first != nil && !bytes.Equal(dataMember(first), dataMember(b)) {
			return res, fmt.Errorf("%s's data differs from the gateway's (%d vs %d bytes)", s.name, len(b), len(first))
		}
		first = b
		res.ResponseBytes = len(b)
	}
	res.CallsPerOp, res.WaveErrors = map[string]float64{}, map[string]int64{}
	for _, s := range sides {
		if _, err := runWrk(ctx, m.script, bodyFile, s.url+"/graphql", sc.Connections, m.o.warmup); err != nil {
			return res, err
		}
		calls, failed, err := m.callsPerOp(ctx, s.url, body, sc.Connections)
		if err != nil {
			return res, fmt.Errorf("%s: upstream calls per operation: %w", s.name, err)
		}
		res.CallsPerOp[s.name] = calls
		res.WaveErrors[s.name] = failed
	}
	for round := range m.o.rounds {
		for _, s := range sides {
			r, err := m.run(ctx, s, bodyFile, sc.Connections)
			if err != nil {
				return res, fmt.Errorf("%s, round %d: %w", s.name, round+1, err)
			}
			r.Side, r.Round = s.name, round+1
			res.Runs = append(res.Runs, r)
		}
	}
	res.summarise()
	return res, nil
}

// run is one measured run of one side.
func (m *measurer) run(ctx context.Context, s side, bodyFile string, conns int) (runResult, error) {
	if _, err := settle(ctx, s.url); err != nil {
		return runResult{}, err
	}
	if err := m.adm.ResetCalls(ctx); err != nil {
		return runResult{}, err
	}
	before, err := readStats(ctx, s.url)
	if err != nil {
		return runResult{}, err
	}
	cpu0, err := cpuTime(s.proc.pid())
	if err != nil {
		return runResult{}, err
	}
	w, err := runWrk(ctx, m.script, bodyFile, s.url+"/graphql", conns, m.o.duration)
	if err != nil {
		return runResult{}, err
	}
	after, err := settle(ctx, s.url)
	if err != nil {
		return runResult{}, err
	}
	cpu1, err := cpuTime(s.proc.pid())
	if err != nil {
		return runResult{}, err
	}
	calls, err := m.adm.Calls(ctx)
	if err != nil {
		return runResult{}, err
	}
	peak, rss, err := memory(s.proc.pid())
	if err != nil {
		return runResult{}, err
	}
	served := after.Served - before.Served
	r := runResult{
		Wrk: w, Served: served, CPU: (cpu1 - cpu0).Seconds() * 1000, PeakRSS: peak, RSS: rss,
		Non2xx: after.Non2xx - before.Non2xx, GQLErrors: after.GQLErrors - before.GQLErrors,
		Abandoned:     after.Abandoned - before.Abandoned,
		UpstreamCalls: dataCalls(calls),
	}
	return r, nil
}

// callsPerOp sends one wave of conns requests at once (so at the scenario's concurrency), each checked
// like a sample, and divides the upstream calls they caused by conns. Unlike a timed run, no request
// is cut off half-way, so the figure is exact. It also returns how many answers failed the check (an
// overloaded side times out upstream calls): those are reported, not fatal.
func (m *measurer) callsPerOp(ctx context.Context, url string, body []byte, conns int) (float64, int64, error) {
	if _, err := settle(ctx, url); err != nil { // requests the warm-up left in flight still call upstreams
		return 0, 0, err
	}
	if err := m.adm.ResetCalls(ctx); err != nil {
		return 0, 0, err
	}
	var failed atomic.Int64
	var g errgroup.Group
	for range conns {
		g.Go(func() error {
			if _, err := sample(ctx, url, body); err != nil {
				failed.Add(1)
			}
			return nil
		})
	}
	_ = g.Wait()
	calls, err := m.adm.Calls(ctx)
	if err != nil {
		return 0, 0, err
	}
	return float64(dataCalls(calls)) / float64(conns), failed.Load(), nil
}

// dataCalls sums the calls of every instance and route, health checks left out.
func dataCalls(rep admin.CallsReport) int64 {
	var n int64
	for _, instances := range rep {
		for _, in := range instances {
			for route, c := range in.Calls {
				if !strings.Contains(route, "grpc.health") {
					n += int64(c)
				}
			}
		}
	}
	return n
}

// sampleClient keeps enough idle connections for a wave of the high-concurrency scenario.
var sampleClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}, Timeout: time.Minute}

// sample posts body once and checks the answer: 200, JSON, data present, no errors.
func sample(ctx context.Context, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(floor.UserHeader, "3")
	resp, err := sampleClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var v struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	case json.Unmarshal(b, &v) != nil:
		return nil, fmt.Errorf("not JSON: %.300s", b)
	case len(v.Errors) > 0 || len(v.Data) == 0 || string(v.Data) == "null":
		return nil, fmt.Errorf("GraphQL errors or no data: %.300s", b)
	}
	return b, nil
}

func readStats(ctx context.Context, url string) (statsReport, error) {
	var st statsReport
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/_bench/stats", nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// settle waits until the requests wrk left in flight have finished, at most 10s, and returns the
// counts then.
func settle(ctx context.Context, url string) (statsReport, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := readStats(ctx, url)
		if err != nil || st.Inflight == 0 || time.Now().After(deadline) {
			return st, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dataMember returns the raw bytes of a response's data member, nil when there is none: the gateway
// adds extensions (the operation's cost) that the floor does not compute, so sides compare on data.
func dataMember(b []byte) []byte {
	var v struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(b, &v)
	return v.Data
}
