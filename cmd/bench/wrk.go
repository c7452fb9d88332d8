package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkScript posts the body in the file $BENCH_BODY as the benchmark's user and prints wrk's summary
// as one JSON line.
const wrkScript = `local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Bench-User"] = "3"
` + wrkDone

// wrkSequenceScript posts the bodies in the file $BENCH_BODY, one a line, in turn (the cached
// scenario's workload), as the benchmark's user, and prints wrk's summary as one JSON line. Each thread
// formats every request once and starts at its own offset in the sequence, so that threads do not send
// the same request at the same moment.
const wrkSequenceScript = `local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local reqs, n, i = {}, 0, 0
init = function(args)
  local headers = {["Content-Type"] = "application/json", ["X-Bench-User"] = "3"}
  for line in io.lines(os.getenv("BENCH_BODY")) do
    if #line > 0 then
      n = n + 1
      reqs[n] = wrk.format("POST", nil, headers, line)
    end
  end
  assert(n > 0, "no request bodies")
  i = (tid * 7919) % n
end
request = function()
  i = i % n + 1
  return reqs[i]
end
` + wrkDone

// wrkDone prints wrk's summary as one JSON line.
const wrkDone = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`

// wrkResult is wrk's summary of one run.
type wrkResult struct {
	Requests   int64 `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Bytes      int64 `json:"bytes"`
	Non2xx     int64 `json:"non2xx"`
	Connect    int64 `json:"connect"`
	Read       int64 `json:"read"`
	Write      int64 `json:"write"`
	Timeout    int64 `json:"timeout"`
	P50US      int64 `json:"p50_us"`
	P90US      int64 `json:"p90_us"`
	P99US      int64 `json:"p99_us"`
	MaxUS      int64 `json:"max_us"`
}

// socketErrors is every failure wrk saw below HTTP.
func (r wrkResult) socketErrors() int64 { return r.Connect + r.Read + r.Write + r.Timeout }

// runWrk drives url with wrk for d over conns connections, posting the body in bodyFile.
func runWrk(ctx context.Context, script, bodyFile, url string, conns int, d time.Duration) (wrkResult, error) {
	threads := min(2, conns)
	cmd := exec.CommandContext(ctx, "wrk", "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(int(d.Seconds()))+"s", "--timeout", "10s", "-s", script, url)
	cmd.Env = append(os.Environ(), "BENCH_BODY="+bodyFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if j, ok := strings.CutPrefix(line, "BENCH_JSON "); ok {
			var r wrkResult
			if err := json.Unmarshal([]byte(j), &r); err != nil {
				return wrkResult{}, fmt.Errorf("wrk summary: %w", err)
			}
			return r, nil
		}
	}
	return wrkResult{}, fmt.Errorf("wrk printed no summary: %s", out)
}
