package balancer

import (
	"errors"
	"fmt"
	"time"
)

// Policy names accepted by Config.Policy.
const (
	RoundRobin   = "round_robin"
	LeastRequest = "least_request"
	PeakEWMA     = "peak_ewma"
)

// Config tunes a Pool. The zero value of a field means its default.
type Config struct {
	// Policy is round_robin, least_request or peak_ewma. Default peak_ewma.
	Policy string `yaml:"policy"`
	// EWMADecay is peak_ewma's time constant: how fast an instance's latency score forgets a slow
	// observation. Default 10s.
	EWMADecay time.Duration `yaml:"ewma_decay"`
	// PanicThreshold is the percentage of eligible (healthy, not ejected) instances under which the
	// pool balances over all instances. 0..100; 0 disables panic mode (then, with no eligible
	// instance, all are used anyway). Default 50.
	PanicThreshold *int `yaml:"panic_threshold"`
	// Outlier tunes passive outlier ejection.
	Outlier OutlierConfig `yaml:"outlier"`
}

// OutlierConfig tunes passive outlier ejection.
type OutlierConfig struct {
	// ConsecutiveFailures ejects an instance after this many failed attempts in a row. Default 5.
	ConsecutiveFailures int `yaml:"consecutive_failures"`
	// BaseEjectionTime is the first ejection's length; the n-th ejection lasts n times as long.
	// Default 30s.
	BaseEjectionTime time.Duration `yaml:"base_ejection_time"`
	// MaxEjectionTime caps an ejection's length. Default 300s.
	MaxEjectionTime time.Duration `yaml:"max_ejection_time"`
	// MaxEjectionPercent caps the share of instances ejected at once, 0..100; one instance may
	// always be ejected unless it is the only one. Default 50.
	MaxEjectionPercent int `yaml:"max_ejection_percent"`
}

// DefaultPanicThreshold is Config.PanicThreshold's default.
const DefaultPanicThreshold = 50

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Policy == "" {
		c.Policy = PeakEWMA
	}
	if c.EWMADecay == 0 {
		c.EWMADecay = 10 * time.Second
	}
	if c.PanicThreshold == nil {
		v := DefaultPanicThreshold
		c.PanicThreshold = &v
	}
	o := &c.Outlier
	if o.ConsecutiveFailures == 0 {
		o.ConsecutiveFailures = 5
	}
	if o.BaseEjectionTime == 0 {
		o.BaseEjectionTime = 30 * time.Second
	}
	if o.MaxEjectionTime == 0 {
		o.MaxEjectionTime = 300 * time.Second
	}
	if o.MaxEjectionPercent == 0 {
		o.MaxEjectionPercent = 50
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	switch c.Policy {
	case "", RoundRobin, LeastRequest, PeakEWMA:
	default:
		errs = append(errs, fmt.Errorf("policy: %q is not one of %s, %s, %s", c.Policy, RoundRobin, LeastRequest, PeakEWMA))
	}
	if c.EWMADecay < 0 {
		errs = append(errs, fmt.Errorf("ewma_decay: must be > 0, got %s", c.EWMADecay))
	}
	if c.PanicThreshold != nil && (*c.PanicThreshold < 0 || *c.PanicThreshold > 100) {
		errs = append(errs, fmt.Errorf("panic_threshold: must be 0..100 (percent), got %d", *c.PanicThreshold))
	}
	o := c.Outlier
	if o.ConsecutiveFailures < 0 {
		errs = append(errs, fmt.Errorf("outlier.consecutive_failures: must be >= 1, got %d", o.ConsecutiveFailures))
	}
	if o.BaseEjectionTime < 0 {
		errs = append(errs, fmt.Errorf("outlier.base_ejection_time: must be > 0, got %s", o.BaseEjectionTime))
	}
	if o.MaxEjectionTime < 0 || (o.MaxEjectionTime > 0 && o.MaxEjectionTime < o.BaseEjectionTime) {
		errs = append(errs, fmt.Errorf("outlier.max_ejection_time: must be >= base_ejection_time, got %s", o.MaxEjectionTime))
	}
	if o.MaxEjectionPercent < 0 || o.MaxEjectionPercent > 100 {
		errs = append(errs, fmt.Errorf("outlier.max_ejection_percent: must be 0..100, got %d", o.MaxEjectionPercent))
	}
	return errors.Join(errs...)
}
