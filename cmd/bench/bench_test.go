package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestProcReadings(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	pid := os.Getpid()
	cpu, err := cpuTime(pid)
	// Burn CPU until the kernel's accounting (10 ms ticks) shows some, or give up after a while.
	for round := 0; err == nil && cpu == 0 && round < 500; round++ {
		burn()
		cpu, err = cpuTime(pid)
	}
	if err != nil || cpu <= 0 {
		t.Fatalf("cpuTime = %v, %v", cpu, err)
	}
	peak, now, err := memory(pid)
	if err != nil || now <= 0 || peak < now {
		t.Fatalf("memory = peak %d, now %d, %v", peak, now, err)
	}
}

var sink int

func burn() {
	x := 0
	for i := range 10_000_000 {
		x += i % 7
	}
	sink += x
}

func TestSnifferSeesErrors(t *testing.T) {
	big := `{"data":{"x":"` + strings.Repeat("a", 3*tailSize) + `"}`
	for _, tc := range []struct {
		name   string
		writes []string
		want   bool
	}{
		{"data only", []string{`{"data":{"a":1}}`}, false},
		{"errors first", []string{`{"errors":[{"message":"x"}],"data":null}`}, true},
		{"errors after big data", []string{big, `,"errors":[{"message":"x"}]}`}, true},
		{"errors split over writes", []string{`{"err`, `ors":[]}`}, true},
		{"big data, no errors", []string{big, `}`}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &sniffer{ResponseWriter: httptest.NewRecorder(), status: http.StatusOK}
			for _, w := range tc.writes {
				if _, err := s.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			if got := s.hasErrors(); got != tc.want {
				t.Fatalf("hasErrors = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSummaryAndMarkdown(t *testing.T) {
	s := scenarioResult{
		Name: "reference", Connections: 64, ResponseBytes: 87193, SideNames: defaultSides, Ratios: ratioRows(defaultRatios),
		CallsPerOp: map[string]float64{"gateway": 16, "floor": 16},
		WaveErrors: map[string]int64{"gateway": 1},
		Runs: []runResult{
			{Side: "gateway", Wrk: wrkResult{Requests: 100, DurationUS: 10e6, P99US: 30000}, Served: 100, CPU: 200, PeakRSS: 100 << 20, GQLErrors: 2},
			{Side: "floor", Wrk: wrkResult{Requests: 200, DurationUS: 10e6, P99US: 20000}, Served: 200, CPU: 100, PeakRSS: 50 << 20},
			{Side: sideNoUsage, Wrk: wrkResult{Requests: 125, DurationUS: 10e6, P99US: 30000}, Served: 125, CPU: 250, PeakRSS: 100 << 20},
		},
	}
	s.summarise()
	if u := s.ratio("usage on/off"); u.RPS != 0.8 || u.CPUPerReq != 1 {
		t.Errorf("usage on/off ratio %+v", u)
	}
	g, gf := s.Sides["gateway"], s.ratio("gateway/floor")
	if g.RPS != 10 || g.CPUPerReq != 2 || g.Errors != 3 || gf.RPS != 0.5 || gf.P99 != 1.5 || gf.CPUPerReq != 4 || g.HitRatio != -1 {
		t.Fatalf("summary %+v, ratio %+v", g, gf)
	}
	md := report{Scenarios: []scenarioResult{s}}.markdown()
	for _, want := range []string{"| reference (c=64, 87.2 KB) | gateway | 10 |", "**gateway/floor** | **0.50**", "|  | gateway-no-usage | 12 |", "**usage on/off** | **0.80**"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestParseOptions(t *testing.T) {
	if _, err := parseOptions([]string{"-duration", "500ms"}, os.Stderr); err == nil {
		t.Fatal("a run under 1s was accepted")
	}
	o, err := parseOptions([]string{"-scenarios", "small,reference-256"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios(o)
	if err != nil || len(sc) != 2 || sc[1].Connections != 256 || !slices.Equal(sc[1].Sides, highSides) {
		t.Fatalf("scenarios %+v, %v", sc, err)
	}
	if r := sc[1].Ratios; len(r) != 2 || r[1].Name != "gate on/off" || r[1].Num != sideGateway || r[1].Den != sideNoGate {
		t.Fatalf("reference-256 ratios %+v, want gateway/floor and gate on/off", r)
	}
	o.scenarioSet = "nope"
	if _, err := scenarios(o); err == nil {
		t.Fatal("an unknown scenario was accepted")
	}
	if _, err := parseOptions([]string{"-zipf", "1"}, os.Stderr); err == nil {
		t.Fatal("a Zipf exponent of 1 was accepted")
	}
	o, err = parseOptions([]string{"-scenarios", "reference,cached", "-cached-users", "700", "-seed", "9"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	sc, err = scenarios(o)
	if err != nil || len(sc) != 2 || sc[1].Workload == nil || sc[1].Workload.Users != 700 || sc[1].Workload.Seed != 9 ||
		!slices.Equal(sc[1].Sides, cachedSides) || !slices.Equal(sidesOf(sc), []string{sideGateway, sideNoUsage, sideFloor, sideCached}) {
		t.Fatalf("scenarios %+v, %v", sc, err)
	}
	if g := byData(sc); len(g) != 2 || g[0][0].Name != "reference" || g[1][0].Data.Users != 700 {
		t.Fatalf("groups by data set %+v", g)
	}
	if _, err := parseOptions([]string{"-memory-limit", "-2"}, os.Stderr); err == nil {
		t.Fatal("a -memory-limit under -1 was accepted")
	}
	if o, err := parseOptions([]string{"-memory-limit", "125829120"}, os.Stderr); err != nil || o.memoryLimit != 125829120 {
		t.Fatalf("-memory-limit: %+v, %v", o, err)
	}
	if _, err := parseOptions([]string{"-max-concurrent-operations", "-2"}, os.Stderr); err == nil {
		t.Fatal("a -max-concurrent-operations under -1 was accepted")
	}
	if o, err := parseOptions([]string{"-max-concurrent-operations", "48"}, os.Stderr); err != nil || o.maxConcurrentOperations != 48 {
		t.Fatalf("-max-concurrent-operations: %+v, %v", o, err)
	}
	if o, err := parseOptions([]string{"-memprofile", "g.pprof", "-floor-memprofile", "f.pprof"}, os.Stderr); err != nil ||
		o.memProfile != "g.pprof" || o.floorMemProfile != "f.pprof" {
		t.Fatalf("-memprofile, -floor-memprofile: %+v, %v", o, err)
	}
}

// TestDataLineNamesEveryDataSet: the report's data line names the data set of every scenario that ran
// (the cached scenario has its own), not only the single-operation scenarios'.
func TestDataLineNamesEveryDataSet(t *testing.T) {
	o, err := parseOptions([]string{"-scenarios", "reference,cached,small"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios(o)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("users=90 products=35 reviews-per-user=2 (reference, small); users=%d products=%d reviews-per-user=%d (cached)",
		o.cachedData.Users, o.cachedData.Products, o.cachedData.ReviewsPerUser)
	if got := dataLine(sc); got != want {
		t.Fatalf("data line %q, want %q", got, want)
	}
}

// TestWriteHeapProfile: -memprofile's file is a gzipped pprof profile (what go tool pprof reads).
func TestWriteHeapProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.pprof")
	if err := writeHeapProfile(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("not gzipped: %v", err)
	}
	if b, err := io.ReadAll(zr); err != nil || len(b) == 0 {
		t.Fatalf("profile: %d bytes, %v", len(b), err)
	}
	if err := writeHeapProfile(filepath.Join(t.TempDir(), "missing", "heap.pprof")); err == nil {
		t.Fatal("no error for a file that cannot be created")
	}
}
