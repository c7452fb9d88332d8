// Package gctune sets the Go garbage collector's two knobs for the gateway process: the GC percent
// (GOGC) and a soft memory limit (GOMEMLIMIT), from the `runtime` section of the config.
//
// GraphQL execution allocates a lot of short-lived garbage per request (gqlgen: ~90k objects for the
// 88 KB reference response) over a small live heap, so with Go's default GOGC=100 the collector runs
// very often and its stack scans of many parked goroutines are a large share of CPU (`make bench`).
// A higher GC percent trades memory for CPU; the memory limit keeps that trade bounded: near the
// limit the collector runs as often as needed, whatever the percent.
//
// The environment wins: when GOGC or GOMEMLIMIT is set, that knob is left as the Go runtime read it.
package gctune

import (
	"errors"
	"fmt"
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
	// process's cgroup memory limit when there is one, else no limit; -1 means no limit.
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
		errs = append(errs, fmt.Errorf("memory_limit_bytes: must be -1 (none), 0 (90%% of the cgroup limit) or a number of bytes, got %d", c.MemoryLimitBytes))
	}
	if c.GCPercent == -1 && c.MemoryLimitBytes == -1 {
		errs = append(errs, errors.New("gc_percent: -1 with memory_limit_bytes -1 would never collect garbage"))
	}
	return errors.Join(errs...)
}

// Settings is what Apply decided, for the start-up log.
type Settings struct {
	// GCPercent is the GC percent in force; GCPercentEnv says GOGC set it.
	GCPercent    int
	GCPercentEnv bool
	// MemoryLimit is the limit in force in bytes (math.MaxInt64: none); MemoryEnv says GOMEMLIMIT set it.
	MemoryLimit   int64
	MemoryEnv     bool
	CgroupLimited bool // the limit was derived from the cgroup's
}

// Apply sets the collector's knobs from c (defaults applied) unless the environment set them.
// cgroupMax is the process's cgroup memory limit in bytes, or 0 when it has none (see CgroupLimit).
func Apply(c Config, cgroupMax int64) Settings {
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
		s.MemoryEnv = true
		s.MemoryLimit = debug.SetMemoryLimit(-1) // a negative input only reads it
		return s
	}
	limit := c.MemoryLimitBytes
	if limit == 0 && cgroupMax > 0 {
		limit = cgroupMax / 10 * 9
		s.CgroupLimited = true
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	s.MemoryLimit = debug.SetMemoryLimit(-1)
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
