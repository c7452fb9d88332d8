package gctune

import (
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // substring of the error, "" for valid
	}{
		{"defaults", Config{}, ""},
		{"percent off with a limit", Config{GCPercent: -1, MemoryLimitBytes: 1 << 30}, ""},
		{"percent below -1", Config{GCPercent: -2}, "gc_percent: must be"},
		{"limit below -1", Config{MemoryLimitBytes: -5}, "memory_limit_bytes: must be"},
		{"never collects", Config{GCPercent: -1, MemoryLimitBytes: -1}, "would never collect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.WithDefaults().Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestMachineMemory(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo")
	}
	if m := MachineMemory(); m < 64<<20 {
		t.Fatalf("MachineMemory() = %d, want the machine's memory", m)
	}
}

func TestParseLimit(t *testing.T) {
	for in, want := range map[string]int64{
		"max\n":                 0,
		"1073741824\n":          1 << 30,
		"9223372036854771712\n": 0, // cgroup v1's "no limit"
		"":                      0,
		"-1":                    0,
	} {
		if got := parseLimit(in); got != want {
			t.Errorf("parseLimit(%q) = %d, want %d", in, got, want)
		}
	}
}

// restore puts the collector's knobs back as they were when the test started.
func restore(t *testing.T) {
	pct := debug.SetGCPercent(100)
	lim := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(lim)
	})
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name      string
		env       map[string]string
		cfg       Config
		cgroup    int64
		machine   int64
		wantPct   int
		wantLimit int64
		wantFrom  string
	}{
		{"defaults, nothing known", nil, Config{}, 0, 0, DefaultGCPercent, math.MaxInt64, FromNone},
		{"defaults, machine only", nil, Config{}, 0, 8 << 30, DefaultGCPercent, 2 << 30, FromMachine},
		{"defaults, cgroup limit", nil, Config{}, 1000 << 20, 8 << 30, DefaultGCPercent, 900 << 20, FromCgroup},
		{"explicit limit wins", nil, Config{GCPercent: 150, MemoryLimitBytes: 64 << 20}, 1 << 30, 8 << 30, 150, 64 << 20, FromConfig},
		{"no limit asked", nil, Config{MemoryLimitBytes: -1}, 1 << 30, 8 << 30, DefaultGCPercent, math.MaxInt64, FromNone},
		{"environment wins", map[string]string{"GOGC": "100", "GOMEMLIMIT": "off"}, Config{GCPercent: 800, MemoryLimitBytes: 1 << 20}, 0, 0, 100, math.MaxInt64, FromEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			restore(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s := Apply(tc.cfg, tc.cgroup, tc.machine)
			if s.GCPercent != tc.wantPct || s.MemoryLimit != tc.wantLimit || s.LimitFrom != tc.wantFrom {
				t.Fatalf("settings %+v, want percent %d, limit %d from %s", s, tc.wantPct, tc.wantLimit, tc.wantFrom)
			}
			if got := debug.SetGCPercent(tc.wantPct); got != tc.wantPct {
				t.Fatalf("runtime GC percent %d, want %d", got, tc.wantPct)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
				t.Fatalf("runtime memory limit %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
