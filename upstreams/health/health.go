// Package health runs the active health checks of an upstream's instances: every interval each
// instance is probed (for REST, GET of a path through the shared transport), and after
// unhealthy_threshold failures in a row it is marked unhealthy in its balancer.Pool, after
// healthy_threshold successes in a row healthy again. Instances start healthy, so a new pool serves
// at once. The gRPC upstreams do not use this package: grpc-go's own health checking
// (healthCheckConfig) watches the standard health service of each connection.
package health

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/trellisgw/trellis/upstreams/balancer"
)

// Config tunes the active health checks. The zero value of a field means its default.
type Config struct {
	// Path is the HTTP path probed on every REST instance; a 2xx answer is healthy. Default /healthz.
	Path string `yaml:"path"`
	// Interval is the time between two probes of an instance. Default 5s.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one probe. Default 1s.
	Timeout time.Duration `yaml:"timeout"`
	// HealthyThreshold is how many successful probes in a row make an unhealthy instance healthy.
	// Default 2.
	HealthyThreshold int `yaml:"healthy_threshold"`
	// UnhealthyThreshold is how many failed probes in a row make a healthy instance unhealthy.
	// Default 2.
	UnhealthyThreshold int `yaml:"unhealthy_threshold"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Path == "" {
		c.Path = "/healthz"
	}
	if c.Interval == 0 {
		c.Interval = 5 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = time.Second
	}
	if c.HealthyThreshold == 0 {
		c.HealthyThreshold = 2
	}
	if c.UnhealthyThreshold == 0 {
		c.UnhealthyThreshold = 2
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.Path != "" && (!strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, "?# \t")) {
		errs = append(errs, fmt.Errorf("path: %q must start with / and have no query, fragment or spaces", c.Path))
	}
	if c.Interval < 0 {
		errs = append(errs, fmt.Errorf("interval: must be > 0, got %s", c.Interval))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: must be > 0, got %s", c.Timeout))
	}
	if c.HealthyThreshold < 0 {
		errs = append(errs, fmt.Errorf("healthy_threshold: must be >= 1, got %d", c.HealthyThreshold))
	}
	if c.UnhealthyThreshold < 0 {
		errs = append(errs, fmt.Errorf("unhealthy_threshold: must be >= 1, got %d", c.UnhealthyThreshold))
	}
	return errors.Join(errs...)
}

// Probe checks the instance at addr once; nil means healthy.
type Probe func(ctx context.Context, addr string) error

// Checker probes a pool's instances until Close.
type Checker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// streak counts one instance's probe results in a row.
type streak struct{ ok, failed int }

// Start probes pool's instances every cfg.Interval (the first round one interval after the start,
// instances start healthy) in one goroutine and
// marks them healthy or unhealthy as the thresholds say. cfg's zero fields take their defaults.
func Start(pool *balancer.Pool, cfg Config, probe Probe) *Checker {
	cfg = cfg.WithDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Checker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		streaks := map[string]*streak{}
		t := time.NewTicker(cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			round(ctx, pool, cfg, probe, streaks)
		}
	}()
	return c
}

// round probes every instance once, concurrently, and applies the thresholds.
func round(ctx context.Context, pool *balancer.Pool, cfg Config, probe Probe, streaks map[string]*streak) {
	insts := pool.Instances()
	results := make([]error, len(insts))
	var wg sync.WaitGroup
	for i, in := range insts {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
			defer cancel()
			results[i] = probe(pctx, in.Addr())
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	live := make(map[string]bool, len(insts))
	for i, in := range insts {
		addr := in.Addr()
		live[addr] = true
		s := streaks[addr]
		if s == nil {
			s = &streak{}
			streaks[addr] = s
		}
		if results[i] == nil {
			s.ok, s.failed = s.ok+1, 0
			if !in.Healthy() && s.ok >= cfg.HealthyThreshold {
				pool.SetHealthy(addr, true)
			}
			continue
		}
		s.ok, s.failed = 0, s.failed+1
		if in.Healthy() && s.failed >= cfg.UnhealthyThreshold {
			pool.SetHealthy(addr, false)
		}
	}
	for addr := range streaks {
		if !live[addr] {
			delete(streaks, addr)
		}
	}
}

// Close stops the checks and waits for the goroutine.
func (c *Checker) Close() {
	c.cancel()
	<-c.done
}
