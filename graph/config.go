package graph

import (
	"errors"
	"fmt"
	"time"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/internal/configerr"
)

// Config is the `server` section of the gateway's config file: the HTTP surface and the executor.
type Config struct {
	// Mode is "development" (the default) or "production". Production turns off what helps developers
	// and helps attackers: GraphiQL, introspection, field suggestions, the fan-out plan.
	Mode string `yaml:"mode"`
	// Addr is the listen address. Default "127.0.0.1:8080".
	Addr string `yaml:"addr"`
	// ReadHeaderTimeout bounds reading a request's headers. Default 5s.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// RequestTimeout bounds a whole GraphQL request, upstream calls included; no upstream call outlives
	// it. Default 30s.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// ShutdownTimeout is how long in-flight requests may finish after a stop signal. Default 10s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// MaxBodyBytes bounds a request body. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxTokens bounds how many tokens the parser reads from one query; a longer query fails with
	// GRAPHQL_PARSE_FAILED before any work grows with its size. Default 15000.
	MaxTokens int `yaml:"max_tokens"`
	// DocumentCache holds parsed and validated documents, keyed by query text, so that a repeated query
	// is not parsed and validated again. Queries over 8 KiB are not kept. Default size 1000, no TTL.
	DocumentCache cache.Config `yaml:"document_cache"`
}

// The values of Config.Mode.
const (
	ModeDevelopment = "development"
	ModeProduction  = "production"
)

// Production reports whether the gateway runs in production mode.
func (c Config) Production() bool { return c.Mode == ModeProduction }

// DefaultConfig returns the defaults of every field.
func DefaultConfig() Config { return Config{}.WithDefaults() }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeDevelopment
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 5 * time.Second
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = 15000
	}
	if c.DocumentCache.Size == 0 {
		c.DocumentCache.Size = 1000
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.Mode != ModeDevelopment && c.Mode != ModeProduction {
		errs = append(errs, fmt.Errorf("mode: must be %q or %q, got %q", ModeDevelopment, ModeProduction, c.Mode))
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("addr: required, e.g. 127.0.0.1:8080"))
	}
	for key, d := range map[string]time.Duration{
		"read_header_timeout": c.ReadHeaderTimeout, "request_timeout": c.RequestTimeout, "shutdown_timeout": c.ShutdownTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: must be >= 0 (0 = default), got %s", key, d))
		}
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes: must be >= 0 (0 = default), got %d", c.MaxBodyBytes))
	}
	if c.MaxTokens < 0 {
		errs = append(errs, fmt.Errorf("max_tokens: must be >= 0 (0 = default), got %d", c.MaxTokens))
	}
	if err := c.DocumentCache.Validate(); err != nil {
		errs = append(errs, configerr.Prefix("document_cache", err))
	}
	return errors.Join(errs...)
}
