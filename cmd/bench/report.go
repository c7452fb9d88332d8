package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report is the whole benchmark's result, written as JSON and as a markdown table.
type report struct {
	Started  time.Time `json:"started"`
	Duration string    `json:"run_duration"`
	Rounds   int       `json:"rounds"`
	Latency  string    `json:"upstream_latency"`
	Data     string    `json:"data"`
	CPUs     int       `json:"cpus"`
	// MemoryLimit is -memory-limit: runtime.memory_limit_bytes of both sides (0: the default).
	MemoryLimit int64 `json:"memory_limit_bytes,omitempty"`
	// MaxConcurrentOperations is -max-concurrent-operations: server.max_concurrent_operations of the
	// gateway sides but gateway-no-gate (0: the default).
	MaxConcurrentOperations int              `json:"max_concurrent_operations,omitempty"`
	Scenarios               []scenarioResult `json:"scenarios"`
}

// scenarioResult is one scenario's runs and their summary per side.
type scenarioResult struct {
	Name        string    `json:"name"`
	Connections int       `json:"connections"`
	Workload    *workload `json:"workload,omitempty"`
	// ResponseBytes is the response's size (a workload's: the mean over its sequence).
	ResponseBytes int `json:"response_bytes"`
	// SideNames are the sides measured, in the order they ran.
	SideNames []string `json:"sides"`
	// CallsPerOp is measured apart from the timed runs, on one wave of requests (see callsPerOp),
	// unless CallsFromRuns: then it is the timed runs' upstream calls over the requests they served.
	CallsPerOp    map[string]float64 `json:"upstream_calls_per_op"`
	CallsFromRuns bool               `json:"calls_per_op_from_runs,omitempty"`
	// WaveErrors counts the wave's answers that were not a 200 with data and no errors.
	WaveErrors map[string]int64   `json:"wave_errors"`
	Runs       []runResult        `json:"runs"`
	Sides      map[string]summary `json:"summary"`
	// Ratios compare two sides each (gateway/floor, usage on/off; cached/uncached, cached/floor).
	Ratios []ratioRow `json:"ratios"`
}

// ratioRow is one side's figures over another's.
type ratioRow struct {
	ratioDef
	Ratio summary `json:"ratio"`
}

// ratioRows returns the rows of defs, their figures still to compute (summarise does).
func ratioRows(defs []ratioDef) []ratioRow {
	rows := make([]ratioRow, len(defs))
	for i, d := range defs {
		rows[i].ratioDef = d
	}
	return rows
}

// MarshalJSON spells the row's definition out (ratioDef has no tags: it is the scenarios' table).
func (r ratioRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name  string  `json:"name"`
		Num   string  `json:"side"`
		Den   string  `json:"over"`
		Ratio summary `json:"ratio"`
	}{r.Name, r.Num, r.Den, r.Ratio})
}

// runResult is one measured run of one side.
type runResult struct {
	Side  string    `json:"side"`
	Round int       `json:"round"`
	Wrk   wrkResult `json:"wrk"`
	// Served counts the requests the side finished during the run, those wrk left in flight included.
	Served        int64   `json:"served"`
	CPU           float64 `json:"cpu_ms"`
	PeakRSS       int64   `json:"peak_rss_bytes"`
	RSS           int64   `json:"rss_after_bytes"`
	Non2xx        int64   `json:"non2xx"`
	GQLErrors     int64   `json:"graphql_errors"`
	Abandoned     int64   `json:"abandoned"`
	UpstreamCalls int64   `json:"upstream_calls"`
	CacheKeys     int64   `json:"cache_keys"`
	UpstreamKeys  int64   `json:"upstream_keys"`
}

// summary is a side's figures over its runs (or, in a ratio row, one side's over another's).
type summary struct {
	RPS        float64 `json:"requests_per_second"`
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	Errors     int64   `json:"errors"`
	CallsPerOp float64 `json:"upstream_calls_per_op"`
	// HitRatio is the share of look-up keys the entity cache answered (-1: the side counts no keys).
	HitRatio     float64   `json:"cache_hit_ratio"`
	CPUPerReq    float64   `json:"cpu_ms_per_request"`
	PeakRSSMB    float64   `json:"peak_rss_mb"`
	RSSAfterRuns []float64 `json:"rss_after_runs_mb,omitempty"`
}

// summarise averages rates and latencies over a side's runs and divides totals by requests served.
func (s *scenarioResult) summarise() {
	s.Sides = map[string]summary{}
	for _, name := range s.SideNames {
		var sum summary
		var n int
		var served, calls, cacheKeys, upstreamKeys int64
		var cpu float64
		for _, r := range s.Runs {
			if r.Side != name {
				continue
			}
			n++
			sum.RPS += float64(r.Wrk.Requests) / (float64(r.Wrk.DurationUS) / 1e6)
			sum.P50 += float64(r.Wrk.P50US) / 1000
			sum.P90 += float64(r.Wrk.P90US) / 1000
			sum.P99 += float64(r.Wrk.P99US) / 1000
			sum.Errors += r.Non2xx + r.Wrk.socketErrors() + r.GQLErrors // server-side counts: wrk does not see GraphQL errors
			served += r.Served
			calls += r.UpstreamCalls
			cacheKeys += r.CacheKeys
			upstreamKeys += r.UpstreamKeys
			cpu += r.CPU
			sum.PeakRSSMB = max(sum.PeakRSSMB, float64(r.PeakRSS)/(1<<20))
			sum.RSSAfterRuns = append(sum.RSSAfterRuns, float64(r.RSS)/(1<<20))
		}
		if n == 0 {
			continue
		}
		sum.RPS /= float64(n)
		sum.P50 /= float64(n)
		sum.P90 /= float64(n)
		sum.P99 /= float64(n)
		// The timed runs' calls include requests cut off at the end: the calls per op of one operation
		// come from a wave; a workload's from the runs (served counts the requests cut off too).
		if s.CallsFromRuns && served > 0 {
			s.CallsPerOp[name] = float64(calls) / float64(served)
		}
		sum.CallsPerOp = s.CallsPerOp[name]
		sum.Errors += s.WaveErrors[name]
		if served > 0 {
			sum.CPUPerReq = cpu / float64(served)
		}
		sum.HitRatio = -1
		if cacheKeys+upstreamKeys > 0 {
			sum.HitRatio = float64(cacheKeys) / float64(cacheKeys+upstreamKeys)
		}
		s.Sides[name] = sum
	}
	for i, r := range s.Ratios {
		s.Ratios[i].Ratio = ratios(s.Sides[r.Num], s.Sides[r.Den])
	}
}

// ratio returns the ratio row named name, zero when there is none.
func (s *scenarioResult) ratio(name string) summary {
	for _, r := range s.Ratios {
		if r.Name == name {
			return r.Ratio
		}
	}
	return summary{}
}

// ratios divides a's figures by b's.
func ratios(a, b summary) summary {
	return summary{
		RPS: ratio(a.RPS, b.RPS), P50: ratio(a.P50, b.P50), P90: ratio(a.P90, b.P90), P99: ratio(a.P99, b.P99),
		CallsPerOp: ratio(a.CallsPerOp, b.CallsPerOp), CPUPerReq: ratio(a.CPUPerReq, b.CPUPerReq),
		PeakRSSMB: ratio(a.PeakRSSMB, b.PeakRSSMB),
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// markdown renders the report as a table, one row per side and a ratio row per scenario.
func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Trellis benchmark, %s\n\n", r.Started.Format(time.RFC3339))
	fmt.Fprintf(&b, "%d CPUs (shared with wrk and the sample services), %s per run, %d alternations, upstream latency %s per call, data %s, %s.\n\n",
		r.CPUs, r.Duration, r.Rounds, r.Latency, r.Data, runtime.Version())
	if r.MemoryLimit != 0 {
		fmt.Fprintf(&b, "Both sides with runtime.memory_limit_bytes %d (-memory-limit).\n\n", r.MemoryLimit)
	}
	if r.MaxConcurrentOperations != 0 {
		fmt.Fprintf(&b, "The gateway sides but gateway-no-gate with server.max_concurrent_operations %d (-max-concurrent-operations).\n\n", r.MaxConcurrentOperations)
	}
	b.WriteString("| scenario | side | req/s | p50 ms | p90 ms | p99 ms | errors | upstream calls/op | cache hit ratio | CPU ms/req | peak RSS MB | RSS after runs MB |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	cached, noUsage, gated := false, false, false
	for _, s := range r.Scenarios {
		noUsage = noUsage || slices.Contains(s.SideNames, sideNoUsage)
		gated = gated || slices.Contains(s.SideNames, sideNoGate)
		label := fmt.Sprintf("%s (c=%d, %.1f KB)", s.Name, s.Connections, float64(s.ResponseBytes)/1000)
		if s.Workload != nil {
			cached = true
			label = fmt.Sprintf("%s (c=%d, mean %.1f KB, %d users, %d products)", s.Name, s.Connections,
				float64(s.ResponseBytes)/1000, s.Workload.Users, s.Workload.Products)
		}
		for _, name := range s.SideNames {
			v, ok := s.Sides[name]
			if !ok {
				continue
			}
			rss := make([]string, len(v.RSSAfterRuns))
			for i, x := range v.RSSAfterRuns {
				rss[i] = fmt.Sprintf("%.0f", x)
			}
			hit := "—"
			if v.HitRatio >= 0 {
				hit = fmt.Sprintf("%.1f%%", 100*v.HitRatio)
			}
			if name == sideFloor && s.Workload != nil {
				name = "floor (uncached)"
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f | %.2f | %.2f | %d | %.2f | %s | %.3f | %.0f | %s |\n",
				label, name, v.RPS, v.P50, v.P90, v.P99, v.Errors, v.CallsPerOp, hit, v.CPUPerReq, v.PeakRSSMB, strings.Join(rss, ", "))
			label = ""
		}
		for _, row := range s.Ratios {
			q := row.Ratio
			if q.RPS == 0 {
				continue // a side missing
			}
			fmt.Fprintf(&b, "| | **%s** | **%.2f** | %.2f | %.2f | **%.2f** | | %.2f | | **%.2f** | %.2f | |\n",
				row.Name, q.RPS, q.P50, q.P90, q.P99, q.CallsPerOp, q.CPUPerReq, q.PeakRSSMB)
		}
	}
	b.WriteString("\nErrors count non-2xx answers, socket errors and answers with GraphQL errors, in the timed runs and in the wave that measures upstream calls per operation (JSON: per run).\n")
	if noUsage {
		b.WriteString("\nThe gateway-no-usage side is the gateway with schema_usage.enabled: false; the usage on/off row is what field usage accounting costs (target: 1.00 within noise).\n")
	}
	if gated {
		b.WriteString("\nThe gateway-no-gate side is the gateway with server.max_concurrent_operations: -1 (no admission gate); the gate on/off row is what the gate changes at high concurrency (peak RSS below 1.00 is what it is for).\n")
	}
	if cached {
		b.WriteString("\nThe cached scenario cycles through a seeded sequence of requests (JSON: workload): product pages (55%) and user profiles (35%) of Zipf-popular products and users, and the top products (10%). Its sides are the gateway with the entity cache on (gateway-cached), the same gateway with it off, and the floor, which has no cache: cached/floor compares the cache with a perfect uncached gateway. Its upstream calls/op are the timed runs' calls over the requests served; the cache hit ratio is the share of look-up keys the cache answered (the gateway's call traces).\n")
	}
	b.WriteString("\nTargets (issue 12; reported, never asserted): reference query req/s ratio >= 0.9, CPU per request ratio <= 1.2 (and <= 1.0 ms), p99 ratio <= 1.3, peak RSS <= 1.5 x the floor's (<= 150 MB at 256 connections), zero errors at 256 connections, small query and mutation >= 0.9 x the floor, upstream calls/op at the batching minimum (16 for the reference query), no RSS growth across runs.\n")
	return b.String()
}

// write stores the report in dir as <time>.json and <time>.md (and latest.*), and prints the table.
func (r report) write(dir string, stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	md := r.markdown()
	stamp := r.Started.Format("20060102T150405Z")
	for name, content := range map[string][]byte{
		stamp + ".json": js, stamp + ".md": []byte(md), "latest.json": js, "latest.md": []byte(md),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprint(stdout, md)
	fmt.Fprintf(stdout, "\nwritten to %s\n", filepath.Join(dir, stamp+".{md,json}"))
	return nil
}

func cpuCount() int { return runtime.NumCPU() }
