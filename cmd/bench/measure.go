package main

// This file holds the measuring: answers checked across sides, warm-ups, wrk runs, calls per
// operation and the sides' own statistics; run.go sets up options, scenarios and processes.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trellisgw/trellis/bench/floor"
	"github.com/trellisgw/trellis/demo/admin"
)

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
