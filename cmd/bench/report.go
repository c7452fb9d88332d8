package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// The sides of every scenario, in the order they run: the gateway, the same gateway with field usage
// accounting off (schema_usage.enabled: false, to show what the accounting costs), the floor.
const sideNoUsage = "gateway-no-usage"

var sideNames = []string{"gateway", sideNoUsage, "floor"}

// report is the whole benchmark's result, written as JSON and as a markdown table.
type report struct {
	Started  time.Time `json:"started"`
	Duration string    `json:"run_duration"`
	Rounds   int       `json:"rounds"`
	Latency  string    `json:"upstream_latency"`
	Data     string    `json:"data"`
	CPUs     int       `json:"cpus"`
	// MemoryLimit is -memory-limit: runtime.memory_limit_bytes of both sides (0: the default).
	MemoryLimit int64            `json:"memory_limit_bytes,omitempty"`
	Scenarios   []scenarioResult `json:"scenarios"`
}

// scenarioResult is one scenario's runs and their summary per side.
type scenarioResult struct {
	Name          string `json:"name"`
	Connections   int    `json:"connections"`
	ResponseBytes int    `json:"response_bytes"`
	// CallsPerOp is measured apart from the timed runs, on one wave of requests (see callsPerOp).
	CallsPerOp map[string]float64 `json:"upstream_calls_per_op"`
	// WaveErrors counts the wave's answers that were not a 200 with data and no errors.
	WaveErrors map[string]int64   `json:"wave_errors"`
	Runs       []runResult        `json:"runs"`
	Sides      map[string]summary `json:"summary"`
	Ratio      summary            `json:"ratio_gateway_to_floor"`
	// UsageRatio is the gateway over the gateway without field usage accounting.
	UsageRatio summary `json:"ratio_usage_on_to_off"`
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
}

// summary is a side's figures over its runs (or, in Ratio, gateway over floor).
type summary struct {
	RPS          float64   `json:"requests_per_second"`
	P50          float64   `json:"p50_ms"`
	P90          float64   `json:"p90_ms"`
	P99          float64   `json:"p99_ms"`
	Errors       int64     `json:"errors"`
	CallsPerOp   float64   `json:"upstream_calls_per_op"`
	CPUPerReq    float64   `json:"cpu_ms_per_request"`
	PeakRSSMB    float64   `json:"peak_rss_mb"`
	RSSAfterRuns []float64 `json:"rss_after_runs_mb,omitempty"`
}

// summarise averages rates and latencies over a side's runs and divides totals by requests served.
func (s *scenarioResult) summarise() {
	s.Sides = map[string]summary{}
	for _, name := range sideNames {
		var sum summary
		var n int
		var served int64
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
		// The timed runs' calls include requests cut off at the end: calls per op come from a wave.
		sum.CallsPerOp = s.CallsPerOp[name]
		sum.Errors += s.WaveErrors[name]
		if served > 0 {
			sum.CPUPerReq = cpu / float64(served)
		}
		s.Sides[name] = sum
	}
	s.Ratio = ratios(s.Sides["gateway"], s.Sides["floor"])
	s.UsageRatio = ratios(s.Sides["gateway"], s.Sides[sideNoUsage])
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
	b.WriteString("| scenario | side | req/s | p50 ms | p90 ms | p99 ms | errors | upstream calls/op | CPU ms/req | peak RSS MB | RSS after runs MB |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, s := range r.Scenarios {
		label := fmt.Sprintf("%s (c=%d, %.1f KB)", s.Name, s.Connections, float64(s.ResponseBytes)/1000)
		for _, name := range sideNames {
			v, ok := s.Sides[name]
			if !ok {
				continue
			}
			rss := make([]string, len(v.RSSAfterRuns))
			for i, x := range v.RSSAfterRuns {
				rss[i] = fmt.Sprintf("%.0f", x)
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f | %.2f | %.2f | %d | %.2f | %.3f | %.0f | %s |\n",
				label, name, v.RPS, v.P50, v.P90, v.P99, v.Errors, v.CallsPerOp, v.CPUPerReq, v.PeakRSSMB, strings.Join(rss, ", "))
			label = ""
		}
		for _, row := range []struct {
			name string
			q    summary
		}{{"gateway/floor", s.Ratio}, {"usage on/off", s.UsageRatio}} {
			q := row.q
			if q.RPS == 0 {
				continue // a side missing
			}
			fmt.Fprintf(&b, "| | **%s** | **%.2f** | %.2f | %.2f | **%.2f** | | %.2f | **%.2f** | %.2f | |\n",
				row.name, q.RPS, q.P50, q.P90, q.P99, q.CallsPerOp, q.CPUPerReq, q.PeakRSSMB)
		}
	}
	b.WriteString("\nErrors count non-2xx answers, socket errors and answers with GraphQL errors, in the timed runs and in the wave that measures upstream calls per operation (JSON: per run).\n")
	b.WriteString("\nThe gateway-no-usage side is the gateway with schema_usage.enabled: false; the usage on/off row is what field usage accounting costs (target: 1.00 within noise).\n")
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
