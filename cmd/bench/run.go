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
	"slices"
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
	seed        uint64
	zipfS       float64
	sequence    int
	checks      int
	cachedData  dataSet
	// memoryLimit is runtime.memory_limit_bytes of both sides (0: the config's default).
	memoryLimit int64
}

// data is the data set of the single-operation scenarios.
func (o options) data() dataSet { return dataSet{o.users, o.products, o.reviews} }

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
	fs.StringVar(&o.scenarioSet, "scenarios", "reference,small,mutation,reference-256,cached", "scenarios to run, comma-separated (reference, small, mutation, reference-256, cached)")
	fs.Uint64Var(&o.seed, "seed", 1, "cached scenario: seed of its request sequence")
	fs.Float64Var(&o.zipfS, "zipf", 1.1, "cached scenario: Zipf exponent (> 1) of the popularity of users and products")
	fs.IntVar(&o.sequence, "sequence", 100000, "cached scenario: length of the request sequence wrk cycles through")
	fs.IntVar(&o.checks, "checks", 300, "cached scenario: distinct requests whose answers are compared across the sides before it runs")
	fs.IntVar(&o.cachedData.Users, "cached-users", 5000, "cached scenario: users in its data set (its own sample services)")
	fs.IntVar(&o.cachedData.Products, "cached-products", 1000, "cached scenario: products in its data set")
	fs.IntVar(&o.cachedData.ReviewsPerUser, "cached-reviews-per-user", 2, "cached scenario: reviews per user in its data set")
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
	if o.zipfS <= 1 || o.sequence < 1 || o.checks < 1 || o.cachedData.Users < 1 || o.cachedData.Products < 1 || o.cachedData.ReviewsPerUser < 0 {
		return o, errors.New("-zipf must be above 1, -sequence, -checks, -cached-users and -cached-products at least 1, -cached-reviews-per-user at least 0")
	}
	return o, nil
}

// scenario is one operation (or a workload of several) driven at one concurrency against its sides.
type scenario struct {
	Name        string         `json:"name"`
	Connections int            `json:"connections"`
	Query       string         `json:"-"`
	Variables   map[string]any `json:"variables,omitempty"`
	// Workload, when set, replaces Query: wrk cycles through its sequence of requests, and upstream
	// calls per operation come from the timed runs (a wave of one request says nothing of a mix).
	Workload *workload `json:"workload,omitempty"`
	// Data is the data set the scenario runs over.
	Data dataSet `json:"data"`
	// Checks bounds the distinct requests whose answers are compared before the runs.
	Checks int `json:"-"`
	// SameBytes: the sides' data must be byte-identical (not for the mutation: new ids).
	SameBytes bool `json:"-"`
	// Sides are the sides measured, in the order they run; Ratios the rows that compare two of them.
	Sides  []string   `json:"-"`
	Ratios []ratioDef `json:"-"`
}

// The sides: the gateway, the same gateway with field usage accounting off (schema_usage.enabled:
// false, to show what the accounting costs), the same gateway with the entity cache on
// (cache.enabled: true), and the floor.
const (
	sideGateway = "gateway"
	sideNoUsage = "gateway-no-usage"
	sideCached  = "gateway-cached"
	sideFloor   = "floor"
)

// ratioDef names a ratio row: Num's figures over Den's.
type ratioDef struct{ Name, Num, Den string }

var (
	// defaultSides and defaultRatios are those of the single-operation scenarios.
	defaultSides  = []string{sideGateway, sideNoUsage, sideFloor}
	defaultRatios = []ratioDef{{"gateway/floor", sideGateway, sideFloor}, {"usage on/off", sideGateway, sideNoUsage}}
	// cachedSides and cachedRatios are the cached scenario's: the floor is uncached, so cached/floor
	// is what the cache buys over hand-written code without one.
	cachedSides  = []string{sideCached, sideGateway, sideFloor}
	cachedRatios = []ratioDef{{"cached/uncached", sideCached, sideGateway}, {"cached/floor (uncached)", sideCached, sideFloor}}
)

func scenarios(o options) ([]scenario, error) {
	one := func(name string, conns int, query string, vars map[string]any, same bool) scenario {
		return scenario{Name: name, Connections: conns, Query: query, Variables: vars, SameBytes: same,
			Sides: defaultSides, Ratios: defaultRatios, Data: o.data(), Checks: 1}
	}
	all := map[string]scenario{
		"reference":     one("reference", o.conns, floor.ReferenceQuery, nil, true),
		"small":         one("small", o.conns, floor.SmallQuery, map[string]any{"upc": "p7"}, true),
		"mutation":      one("mutation", o.conns, floor.PlaceOrderMutation, map[string]any{"items": []map[string]any{{"productUpc": "p3", "quantity": 1}}}, false),
		"reference-256": one("reference-"+strconv.Itoa(o.highConns), o.highConns, floor.ReferenceQuery, nil, true),
		"cached": {Name: "cached", Connections: o.conns, SameBytes: true, Sides: cachedSides, Ratios: cachedRatios,
			Data: o.cachedData, Checks: o.checks,
			Workload: &workload{Seed: o.seed, Requests: o.sequence, Users: o.cachedData.Users, Products: o.cachedData.Products, ZipfS: o.zipfS}},
	}
	var out []scenario
	for _, name := range strings.Split(o.scenarioSet, ",") {
		s, ok := all[strings.TrimSpace(name)]
		if !ok {
			return nil, fmt.Errorf("-scenarios: unknown %q (reference, small, mutation, reference-256, cached)", name)
		}
		out = append(out, s)
	}
	return out, nil
}

// bodies returns the request bodies of sc: its workload's sequence, or its one operation.
func (sc scenario) bodies() ([][]byte, error) {
	if sc.Workload != nil {
		return sc.Workload.bodies()
	}
	b, err := json.Marshal(map[string]any{"query": sc.Query, "variables": sc.Variables})
	return [][]byte{b}, err
}

// sidesOf returns the sides the scenarios need, once each, in the order they first appear.
func sidesOf(scens []scenario) []string {
	var out []string
	for _, sc := range scens {
		for _, name := range sc.Sides {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
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
	tmp, err := os.MkdirTemp("", "trellis-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	script, seqScript := filepath.Join(tmp, "post.lua"), filepath.Join(tmp, "sequence.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(seqScript, []byte(wrkSequenceScript), 0o600); err != nil {
		return err
	}
	rep := report{
		Started: time.Now().UTC(), Duration: o.duration.String(), Rounds: o.rounds, Latency: o.latency.String(),
		Data: dataLine(scens), MemoryLimit: o.memoryLimit, CPUs: cpuCount(),
	}
	// Each data set is an environment of its own (sample services and sides), started when its first
	// scenario runs and stopped after its last, so that only one is up at a time.
	for _, group := range byData(scens) {
		if err := func() error {
			e, err := startEnv(ctx, o, tmp, group[0].Data, sidesOf(group))
			if err != nil {
				return err
			}
			defer e.stop()
			m := &measurer{o: o, adm: e.adm, script: script, seqScript: seqScript, tmp: tmp}
			for _, sc := range group {
				fmt.Fprintf(stderr, "bench: %s (%d connections)\n", sc.Name, sc.Connections)
				var ss []side
				for _, name := range sc.Sides {
					ss = append(ss, e.sides[name])
				}
				res, err := m.scenario(ctx, sc, ss)
				if err != nil {
					return fmt.Errorf("%s: %w", sc.Name, err)
				}
				rep.Scenarios = append(rep.Scenarios, res)
			}
			return nil
		}(); err != nil {
			return err
		}
	}
	return rep.write(o.out, stdout)
}

// dataSet is the sample services' data: users, products and reviews per user.
type dataSet struct {
	Users          int `json:"users"`
	Products       int `json:"products"`
	ReviewsPerUser int `json:"reviews_per_user"`
}

// dataLine names the data sets of the scenarios, each followed by the scenarios over it, e.g.
// "users=90 products=35 reviews-per-user=2 (reference, small); users=5000 … (cached)".
func dataLine(scens []scenario) string {
	var parts []string
	for _, group := range byData(scens) {
		names := make([]string, len(group))
		for i, sc := range group {
			names[i] = sc.Name
		}
		d := group[0].Data
		parts = append(parts, fmt.Sprintf("users=%d products=%d reviews-per-user=%d (%s)",
			d.Users, d.Products, d.ReviewsPerUser, strings.Join(names, ", ")))
	}
	return strings.Join(parts, "; ")
}

// byData groups the scenarios by data set, in the order the data sets first appear.
func byData(scens []scenario) [][]scenario {
	var groups [][]scenario
	index := map[dataSet]int{}
	for _, sc := range scens {
		i, ok := index[sc.Data]
		if !ok {
			i = len(groups)
			index[sc.Data] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], sc)
	}
	return groups
}

// env is one data set's processes: the sample services and the sides over them.
type env struct {
	adm   *admin.Client
	sides map[string]side
	procs []*child
}

func (e *env) stop() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].stop()
	}
}

// startEnv starts bin/demo-services over data, sets the upstream latency, then the sides named.
func startEnv(ctx context.Context, o options, tmp string, data dataSet, sideNames []string) (_ *env, err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	e := &env{sides: map[string]side{}}
	defer func() {
		if err != nil {
			e.stop()
		}
	}()
	tag := fmt.Sprintf("-%du%dp", data.Users, data.Products)
	demoProc, ready, err := startChild(ctx, tmp, "demo-services"+tag, filepath.Join(o.bin, "demo-services"),
		"-users", strconv.Itoa(data.Users), "-products", strconv.Itoa(data.Products),
		"-reviews-per-user", strconv.Itoa(data.ReviewsPerUser), "-admin-addr", "127.0.0.1:0", "-log-level", "warn",
		"-accounts-port", "0", "-products-port", "0", "-reviews-port", "0", "-inventory-port", "0", "-orders-port", "0")
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, demoProc)
	var svcs services
	if err := json.Unmarshal([]byte(ready), &svcs); err != nil {
		return nil, fmt.Errorf("demo-services ready line %q: %w", ready, err)
	}
	e.adm = admin.NewClient(svcs.Admin)
	for svc := range svcs.Services {
		if err := e.adm.SetFault(ctx, svc, -1, faults.Fault{Latency: o.latency}); err != nil {
			return nil, fmt.Errorf("set the latency of %s: %w", svc, err)
		}
	}
	for _, name := range sideNames {
		role, args := name, []string{}
		switch name {
		case sideNoUsage: // the gateway as it is, but for field usage accounting
			role, args = "gateway", []string{"-schema-usage=false"}
		case sideCached: // the gateway as it is, with the entity cache on
			role, args = "gateway", []string{"-cache"}
		}
		args = append([]string{role, "-services", ready, "-memory-limit", strconv.FormatInt(o.memoryLimit, 10)}, args...)
		if name == sideGateway && o.profile != "" && data == o.data() {
			args = append(args, "-cpuprofile", o.profile)
		}
		p, url, err := startChild(ctx, tmp, name+tag, self, args...)
		if err != nil {
			return nil, err
		}
		e.procs = append(e.procs, p)
		e.sides[name] = side{name: name, url: url, proc: p}
	}
	return e, nil
}

// measurer runs the measured runs of a benchmark.
type measurer struct {
	o         options
	adm       *admin.Client
	script    string // wrk's script for one body
	seqScript string // wrk's script for a sequence of bodies
	tmp       string
}

// scenario checks the answers of each side, warms them up, then alternates measured runs.
func (m *measurer) scenario(ctx context.Context, sc scenario, sides []side) (scenarioResult, error) {
	res := scenarioResult{Name: sc.Name, Connections: sc.Connections, Workload: sc.Workload,
		SideNames: sc.Sides, Ratios: ratioRows(sc.Ratios), CallsFromRuns: sc.Workload != nil}
	bodies, err := sc.bodies()
	if err != nil {
		return res, err
	}
	var lines []byte
	for _, b := range bodies {
		lines = append(append(lines, b...), '\n')
	}
	bodyFile, script := filepath.Join(m.tmp, sc.Name+".json"), m.script
	if sc.Workload != nil {
		script = m.seqScript
	} else {
		lines = bodies[0]
	}
	if err := os.WriteFile(bodyFile, lines, 0o600); err != nil {
		return res, err
	}
	urls := make([]namedURL, len(sides))
	for i, s := range sides {
		urls[i] = namedURL{s.name, s.url}
	}
	size, err := checkAnswers(ctx, urls, bodies, sc.Checks, sc.SameBytes)
	if err != nil {
		return res, err
	}
	res.ResponseBytes = int(size + 0.5)
	res.CallsPerOp, res.WaveErrors = map[string]float64{}, map[string]int64{}
	for _, s := range sides {
		if _, err := runWrk(ctx, script, bodyFile, s.url+"/graphql", sc.Connections, m.o.warmup); err != nil {
			return res, err
		}
		if sc.Workload != nil {
			continue // calls per operation of a mix: from the timed runs
		}
		calls, failed, err := m.callsPerOp(ctx, s.url, bodies[0], sc.Connections)
		if err != nil {
			return res, fmt.Errorf("%s: upstream calls per operation: %w", s.name, err)
		}
		res.CallsPerOp[s.name] = calls
		res.WaveErrors[s.name] = failed
	}
	for round := range m.o.rounds {
		for _, s := range sides {
			r, err := m.run(ctx, s, script, bodyFile, sc.Connections)
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

// namedURL is a side's name and base URL.
type namedURL struct{ name, url string }

// checkAnswers sends each of the first checks distinct bodies to every side and checks each answer
// (200, data, no errors; see sample); with sameBytes the sides' data must be byte-identical to the
// first side's. Every side is asked twice, its second answer compared with its first: a cached side
// answers from its cache the second time, and must answer the same. Eight bodies are checked at a
// time; the others are not sent, so that a cache stays cold for them. It returns the mean response size
// over the bodies checked, each weighted by how often it occurs in bodies.
func checkAnswers(ctx context.Context, sides []namedURL, bodies [][]byte, checks int, sameBytes bool) (float64, error) {
	uniq, counts := distinct(bodies)
	uniq, counts = uniq[:min(checks, len(uniq))], counts[:min(checks, len(uniq))]
	sizes := make([]int, len(uniq))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, body := range uniq {
		g.Go(func() error {
			var first []byte
			for _, s := range sides {
				var answers [2][]byte
				for pass := range answers {
					b, err := sample(gctx, s.url, body)
					if err != nil {
						return fmt.Errorf("%s: sample response to %.200s: %w", s.name, body, err)
					}
					answers[pass] = b
				}
				if sameBytes && !bytes.Equal(dataMember(answers[0]), dataMember(answers[1])) {
					return fmt.Errorf("%s answered %.200s differently the second time (%d vs %d bytes)", s.name, body, len(answers[1]), len(answers[0]))
				}
				if sameBytes && first != nil && !bytes.Equal(dataMember(first), dataMember(answers[0])) {
					return fmt.Errorf("%s's data differs from %s's for %.200s (%d vs %d bytes)", s.name, sides[0].name, body, len(answers[0]), len(first))
				}
				if first == nil {
					first = answers[0]
				}
			}
			sizes[i] = len(first)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	var size float64
	var n int
	for i, b := range sizes {
		size += float64(b * counts[i])
		n += counts[i]
	}
	return size / float64(n), nil
}

// run is one measured run of one side.
func (m *measurer) run(ctx context.Context, s side, script, bodyFile string, conns int) (runResult, error) {
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
	w, err := runWrk(ctx, script, bodyFile, s.url+"/graphql", conns, m.o.duration)
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
		CacheKeys:     after.CacheKeys - before.CacheKeys, UpstreamKeys: after.UpstreamKeys - before.UpstreamKeys,
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
