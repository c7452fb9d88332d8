package rest

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the one HTTP transport shared by every REST upstream. The zero value of a field means
// its default.
type Config struct {
	// MaxIdleConnsPerHost is the keep-alive pool size per upstream instance. It must cover the fan-out:
	// a query level issues one call per upstream, and every in-flight client request may be at a level
	// at once. Default 256.
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host"`
	// MaxConnsPerHost caps connections (idle + active) per instance; 0 means no cap. Default 0.
	MaxConnsPerHost int `yaml:"max_conns_per_host"`
	// IdleConnTimeout closes keep-alive connections idle for longer. Default 90s.
	IdleConnTimeout time.Duration `yaml:"idle_conn_timeout"`
	// DialTimeout bounds establishing a TCP connection. Default 1s.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// MaxResponseBytes bounds a response body; a larger one fails the call with UPSTREAM_ERROR.
	// Default 8 MiB.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.MaxIdleConnsPerHost == 0 {
		c.MaxIdleConnsPerHost = 256
	}
	if c.IdleConnTimeout == 0 {
		c.IdleConnTimeout = 90 * time.Second
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = time.Second
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = 8 << 20
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.MaxIdleConnsPerHost < 0 {
		errs = append(errs, fmt.Errorf("max_idle_conns_per_host: must be >= 0, got %d", c.MaxIdleConnsPerHost))
	}
	if c.MaxConnsPerHost < 0 {
		errs = append(errs, fmt.Errorf("max_conns_per_host: must be >= 0 (0 = no cap), got %d", c.MaxConnsPerHost))
	}
	if c.IdleConnTimeout < 0 {
		errs = append(errs, fmt.Errorf("idle_conn_timeout: must be >= 0, got %s", c.IdleConnTimeout))
	}
	if c.DialTimeout < 0 {
		errs = append(errs, fmt.Errorf("dial_timeout: must be >= 0, got %s", c.DialTimeout))
	}
	if c.MaxResponseBytes < 0 {
		errs = append(errs, fmt.Errorf("max_response_bytes: must be >= 0, got %d", c.MaxResponseBytes))
	}
	return errors.Join(errs...)
}
