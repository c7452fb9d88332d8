package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

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
	// floorProfile is -floor-cpuprofile: the floor's CPU profile, to set beside the gateway's.
	floorProfile string
	// memProfile and floorMemProfile are -memprofile and -floor-memprofile: heap profiles of the
	// gateway and the floor, written when they stop.
	memProfile      string
	floorMemProfile string
	seed            uint64
	zipfS           float64
	sequence        int
	checks          int
	cachedData      dataSet
	// memoryLimit is runtime.memory_limit_bytes of both sides (0: the config's default).
	memoryLimit int64
	// maxConcurrentOperations is server.max_concurrent_operations of the gateway sides but
	// gateway-no-gate (0: the config's default).
	maxConcurrentOperations int
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
	fs.StringVar(&o.floorProfile, "floor-cpuprofile", "", "write a CPU profile of the floor over the whole benchmark to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile of the gateway to this file when it stops (allocations over the whole benchmark)")
	fs.StringVar(&o.floorMemProfile, "floor-memprofile", "", "write a heap profile of the floor to this file when it stops (allocations over the whole benchmark)")
	fs.Int64Var(&o.memoryLimit, "memory-limit", 0, "runtime.memory_limit_bytes of both sides, gateway and floor (0: the config's default, -1: none)")
	fs.IntVar(&o.maxConcurrentOperations, "max-concurrent-operations", 0, "server.max_concurrent_operations of the gateway sides, gateway-no-gate excepted (0: the config's default, -1: none)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.memoryLimit < -1 {
		return o, errors.New("-memory-limit must be -1 (none), 0 (the default) or a number of bytes")
	}
	if o.maxConcurrentOperations < -1 {
		return o, errors.New("-max-concurrent-operations must be -1 (none), 0 (the default) or a number of requests")
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
// false, to show what the accounting costs), the same gateway without the admission gate
// (server.max_concurrent_operations: -1, to show what the gate saves at high concurrency), the same
// gateway with the entity cache on (cache.enabled: true), and the floor.
const (
	sideGateway = "gateway"
	sideNoUsage = "gateway-no-usage"
	sideNoGate  = "gateway-no-gate"
	sideCached  = "gateway-cached"
	sideFloor   = "floor"
)

// ratioDef names a ratio row: Num's figures over Den's.
type ratioDef struct{ Name, Num, Den string }

var (
	// defaultSides and defaultRatios are those of the single-operation scenarios.
	defaultSides  = []string{sideGateway, sideNoUsage, sideFloor}
	defaultRatios = []ratioDef{{"gateway/floor", sideGateway, sideFloor}, {"usage on/off", sideGateway, sideNoUsage}}
	// highSides and highRatios are the high-concurrency scenario's: what the admission gate does shows
	// most there (the default gate of 32 × GOMAXPROCS admits 64 at once on 2 cores).
	highSides  = []string{sideGateway, sideNoGate, sideFloor}
	highRatios = []ratioDef{{"gateway/floor", sideGateway, sideFloor}, {"gate on/off", sideGateway, sideNoGate}}
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
	high := one("reference-"+strconv.Itoa(o.highConns), o.highConns, floor.ReferenceQuery, nil, true)
	high.Sides, high.Ratios = highSides, highRatios
	all := map[string]scenario{
		"reference":     one("reference", o.conns, floor.ReferenceQuery, nil, true),
		"small":         one("small", o.conns, floor.SmallQuery, map[string]any{"upc": "p7"}, true),
		"mutation":      one("mutation", o.conns, floor.PlaceOrderMutation, map[string]any{"items": []map[string]any{{"productUpc": "p3", "quantity": 1}}}, false),
		"reference-256": high,
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
		Data: dataLine(scens), MemoryLimit: o.memoryLimit, MaxConcurrentOperations: o.maxConcurrentOperations, CPUs: cpuCount(),
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
		case sideNoGate: // the gateway as it is, without the admission gate
			role, args = "gateway", []string{"-max-concurrent-operations=-1"}
		case sideCached: // the gateway as it is, with the entity cache on
			role, args = "gateway", []string{"-cache"}
		}
		if role == "gateway" && name != sideNoGate && o.maxConcurrentOperations != 0 {
			args = append(args, "-max-concurrent-operations="+strconv.Itoa(o.maxConcurrentOperations))
		}
		args = append([]string{role, "-services", ready, "-memory-limit", strconv.FormatInt(o.memoryLimit, 10)}, args...)
		if name == sideGateway && o.profile != "" && data == o.data() {
			args = append(args, "-cpuprofile", o.profile)
		}
		if name == sideFloor && o.floorProfile != "" && data == o.data() {
			args = append(args, "-cpuprofile", o.floorProfile)
		}
		if name == sideGateway && o.memProfile != "" && data == o.data() {
			args = append(args, "-memprofile", o.memProfile)
		}
		if name == sideFloor && o.floorMemProfile != "" && data == o.data() {
			args = append(args, "-memprofile", o.floorMemProfile)
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
