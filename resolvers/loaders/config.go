package loaders

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes per-request batching. It is the `loaders` section of the gateway's config file.
type Config struct {
	// BatchWait is how long a loader collects keys after the first Load of a batch before it calls the
	// upstream. Default 500µs; see the package doc for why.
	BatchWait time.Duration `yaml:"batch_wait"`
	// MaxBatch dispatches a batch early once it holds this many keys. Default 500, the sample services'
	// batch limit.
	MaxBatch int `yaml:"max_batch"`
}

// DefaultBatchWait is the default batch window.
const DefaultBatchWait = 500 * time.Microsecond

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.BatchWait == 0 {
		c.BatchWait = DefaultBatchWait
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 500
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.BatchWait < 0 || c.BatchWait > 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("batch_wait: must be between 0 and 100ms, got %s", c.BatchWait))
	}
	if c.MaxBatch < 0 {
		errs = append(errs, fmt.Errorf("max_batch: must be > 0, got %d", c.MaxBatch))
	}
	return errors.Join(errs...)
}
