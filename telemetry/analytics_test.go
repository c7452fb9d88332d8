package telemetry

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      int
		wantMs float64
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 95, 7},
		{"p50 of 1..100", ms(hundred...), 50, 50},
		{"p95 of 1..100", ms(hundred...), 95, 95},
		{"p95 of two", ms(1, 9), 95, 9},
		{"p50 of two", ms(1, 9), 50, 1},
	}
	for _, tt := range tests {
		if got := percentileMs(tt.sorted, tt.p); got != tt.wantMs {
			t.Errorf("%s: p%d = %g, want %g", tt.name, tt.p, got, tt.wantMs)
		}
	}
}

func TestOpStatsRingKeepsTheLatest(t *testing.T) {
	s := newOpStats(4)
	for i := 1; i <= 10; i++ {
		s.add(time.Duration(i)*time.Millisecond, i%5 == 0, 3, -1)
	}
	s.add(time.Millisecond*10, false, 3, 42)
	got := s.snapshot("Op")
	cost := 42.0
	want := OperationStats{
		Operation: "Op", Count: 11, ErrorRate: 2.0 / 11, Samples: 4,
		P50Ms: 9, P95Ms: 10, UpstreamCallsPerRequest: 3, CostPerRequest: &cost,
	}
	// The ring holds 8, 9, 10, 10 (the oldest replaced first): nearest-rank p50 is the 2nd.
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("snapshot (-got +want):\n%s", diff)
	}
}
