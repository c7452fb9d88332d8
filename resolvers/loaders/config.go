package loaders

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes batching. It is the `loaders` section of the gateway's config file.
type Config struct {
	// MaxWait is how long queued keys wait while a field counted as running makes no progress before
	// they are sent anyway. Batches are normally sent the moment the operation has no running field left
	// (see the package doc); this watchdog only guards against a miscount, so it is generous enough that
	// a field starved of CPU on a busy machine does not trip it. 1ms..1s; default 100ms.
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
	if c.MaxWait != 0 && (c.MaxWait < time.Millisecond || c.MaxWait > time.Second) {
		errs = append(errs, fmt.Errorf("max_wait: must be between 1ms and 1s (0 = default), got %s", c.MaxWait))
	}
	return errors.Join(errs...)
}
