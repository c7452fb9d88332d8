// Package gctune sets the Go garbage collector's two knobs for the gateway process: the GC percent
// (GOGC) and a soft memory limit (GOMEMLIMIT), from the `runtime` section of the config.
//
// GraphQL execution allocates a lot of short-lived garbage per request (gqlgen: ~90k objects for the
// 88 KB reference response) over a small live heap, so with Go's default GOGC=100 the collector runs
// very often and its stack scans of many parked goroutines are a large share of CPU (`make bench`).
// A higher GC percent trades memory for CPU; the memory limit keeps that trade bounded: near the
// limit the collector runs as often as needed, whatever the percent. So there is always a limit unless
// the config says -1: the cgroup's (containers), else a quarter of the machine's memory.
//
// The environment wins: when GOGC or GOMEMLIMIT is set, that knob is left as the Go runtime read it.
package gctune

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Config is the `runtime` section of the gateway's config file.
type Config struct {
	// GCPercent is the garbage collector's target heap growth in percent (GOGC). Default 400; -1 turns
	// the percent-based collection off, leaving only the memory limit.
	GCPercent int `yaml:"gc_percent"`
	// MemoryLimitBytes is the soft memory limit (GOMEMLIMIT). 0 (the default) means 90% of the
	// process's cgroup memory limit when there is one, else a quarter of the machine's memory; -1
	// means no limit (then a high GCPercent lets the heap grow to several times the live data).
	MemoryLimitBytes int64 `yaml:"memory_limit_bytes"`
}

// DefaultGCPercent is the GC percent when the config sets none.
const DefaultGCPercent = 400

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.GCPercent == 0 {
		c.GCPercent = DefaultGCPercent
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.GCPercent < -1 {
		errs = append(errs, fmt.Errorf("gc_percent: must be -1 (off), 0 (default %d) or more, got %d", DefaultGCPercent, c.GCPercent))
	}
	if c.MemoryLimitBytes < -1 {
		errs = append(errs, fmt.Errorf("memory_limit_bytes: must be -1 (none), 0 (derived from the cgroup or the machine) or a number of bytes, got %d", c.MemoryLimitBytes))
	}
	if c.GCPercent == -1 && c.MemoryLimitBytes == -1 {
		errs = append(errs, errors.New("gc_percent: -1 with memory_limit_bytes -1 would never collect garbage"))
	}
	return errors.Join(errs...)
}

// Where a memory limit in force came from (Settings.LimitFrom).
const (
	FromConfig  = "config"
	FromEnv     = "GOMEMLIMIT"
	FromCgroup  = "cgroup"
	FromMachine = "machine"
	FromNone    = "none"
)

// Settings is what Apply decided, for the start-up log.
type Settings struct {
	// GCPercent is the GC percent in force; GCPercentEnv says GOGC set it.
	GCPercent    int
	GCPercentEnv bool
	// MemoryLimit is the limit in force in bytes (math.MaxInt64: none); LimitFrom says where it came
	// from (FromConfig, FromEnv, …).
	MemoryLimit int64
	LimitFrom   string
}

// Apply sets the collector's knobs from c (defaults applied) unless the environment set them.
// cgroupMax is the process's cgroup memory limit and machine the machine's memory, in bytes, 0 when
// unknown (see CgroupLimit and MachineMemory).
func Apply(c Config, cgroupMax, machine int64) Settings {
	c = c.WithDefaults()
	var s Settings
	if _, ok := os.LookupEnv("GOGC"); ok {
		s.GCPercentEnv = true
		s.GCPercent = debug.SetGCPercent(-1)
		debug.SetGCPercent(s.GCPercent) // read back without changing it
	} else {
		debug.SetGCPercent(c.GCPercent)
		s.GCPercent = c.GCPercent
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		s.MemoryLimit, s.LimitFrom = debug.SetMemoryLimit(-1), FromEnv // a negative input only reads it
		return s
	}
	limit, from := c.MemoryLimitBytes, FromConfig
	switch {
	case limit != 0:
	case cgroupMax > 0:
		limit, from = cgroupMax/10*9, FromCgroup
	case machine > 0:
		limit, from = machine/4, FromMachine
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	} else {
		debug.SetMemoryLimit(math.MaxInt64)
		from = FromNone
	}
	s.MemoryLimit, s.LimitFrom = debug.SetMemoryLimit(-1), from
	return s
}

// CgroupLimit returns the memory limit of the process's cgroup (v2 memory.max, else v1
// memory.limit_in_bytes), or 0 when there is none or it cannot be read.
func CgroupLimit() int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		return parseLimit(string(b))
	}
	return 0
}

// MachineMemory returns the machine's memory (MemTotal of /proc/meminfo) in bytes, or 0 when it
// cannot be read.
func MachineMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// parseLimit reads a cgroup memory limit file: a number of bytes, or "max" for none. cgroup v1 writes
// a huge number (close to MaxInt64, page-aligned) for none; anything above 1 PiB is taken as none.
func parseLimit(s string) int64 {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > 1<<50 {
		return 0
	}
	return n
}
