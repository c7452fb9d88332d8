package loaders

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes batching. It is the `loaders` section of the gateway's config file.
type Config struct {
	// MaxWait is the longest a queued key waits for its batch to be sent. Batches are normally sent the
	// moment the operation has no running field left (see the package doc), long before this; the timer
	// only guards against a miscount, so it is generous: a busy level of a large query can take tens of
	// milliseconds of CPU before its fields are all waiting. Default 100ms.
	MaxWait time.Duration `yaml:"max_wait"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.MaxWait == 0 {
		c.MaxWait = 100 * time.Millisecond
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.MaxWait < 0 || c.MaxWait > time.Second {
		errs = append(errs, fmt.Errorf("max_wait: must be between 0 and 1s, got %s", c.MaxWait))
	}
	return errors.Join(errs...)
}
