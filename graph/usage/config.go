package usage

import (
	"errors"
	"fmt"
	"time"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/internal/configerr"
)

// Config configures field usage accounting: the `schema_usage` section of the config file.
type Config struct {
	// Enabled turns usage accounting on. Default true.
	Enabled *bool `yaml:"enabled"`
	// ClientNameHeaders are the request headers naming the client application, tried in order; the
	// first non-empty one wins. Default [apollographql-client-name].
	ClientNameHeaders []string `yaml:"client_name_headers"`
	// ClientVersionHeaders are the headers of its version, likewise. Default [apollographql-client-version].
	ClientVersionHeaders []string `yaml:"client_version_headers"`
	// MaxClients bounds the distinct client name/version pairs counted (first come); later ones count
	// as name "other". Default 100.
	MaxClients int `yaml:"max_clients"`
	// MaxOperations bounds the distinct operation names counted (first come); later ones count as
	// "other". Default 1000.
	MaxOperations int `yaml:"max_operations"`
	// MaxSeries bounds the distinct (client, version, operation) triples counted (first come); later
	// ones count as client "other", operation "other". With the schema's coordinates it bounds the
	// rows of one period. Default 2000.
	MaxSeries int `yaml:"max_series"`
	// Period is the length of one counting period. Default 1h.
	Period time.Duration `yaml:"period"`
	// Retention is how long periods are kept, and the default window of the admin answer. Default 720h
	// (30 days).
	Retention time.Duration `yaml:"retention"`
	// FlushInterval is how often counts are added to the store. Default 10s.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// DeprecationWarnings adds `extensions.deprecations` to responses of operations that use a
	// deprecated field, argument or enum value. Default false.
	DeprecationWarnings bool `yaml:"deprecation_warnings"`
	// Store is where counts live: "memory" (per process) or "redis" (shared by every instance using it,
	// so that the admin answer is the fleet's). Default memory.
	Store string `yaml:"store"`
	// Redis locates the shared store; KeyPrefix defaults to "trellis:usage:", Timeout to 1s.
	Redis cache.RedisConfig `yaml:"redis"`
}

// The values of Config.Store.
const (
	StoreMemory = "memory"
	StoreRedis  = "redis"
)

// DefaultConfig returns the defaults of every field.
func DefaultConfig() Config { return Config{}.WithDefaults() }

// On reports whether accounting is enabled.
func (c Config) On() bool { return c.Enabled == nil || *c.Enabled }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Enabled == nil {
		on := true
		c.Enabled = &on
	}
	if c.ClientNameHeaders == nil {
		c.ClientNameHeaders = []string{"apollographql-client-name"}
	}
	if c.ClientVersionHeaders == nil {
		c.ClientVersionHeaders = []string{"apollographql-client-version"}
	}
	if c.MaxClients == 0 {
		c.MaxClients = 100
	}
	if c.MaxOperations == 0 {
		c.MaxOperations = 1000
	}
	if c.MaxSeries == 0 {
		c.MaxSeries = 2000
	}
	if c.Period == 0 {
		c.Period = time.Hour
	}
	if c.Retention == 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = 10 * time.Second
	}
	if c.Store == "" {
		c.Store = StoreMemory
	}
	if c.Redis.KeyPrefix == "" {
		c.Redis.KeyPrefix = "trellis:usage:"
	}
	if c.Redis.Timeout == 0 {
		c.Redis.Timeout = time.Second
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	for key, hs := range map[string][]string{"client_name_headers": c.ClientNameHeaders, "client_version_headers": c.ClientVersionHeaders} {
		for i, h := range hs {
			if h == "" || !validHeader(h) {
				errs = append(errs, fmt.Errorf("%s[%d]: %q is not a header name", key, i, h))
			}
		}
	}
	if c.MaxClients < 1 || c.MaxClients > 10000 {
		errs = append(errs, fmt.Errorf("max_clients: must be between 1 and 10000, got %d", c.MaxClients))
	}
	if c.MaxOperations < 1 || c.MaxOperations > 100000 {
		errs = append(errs, fmt.Errorf("max_operations: must be between 1 and 100000, got %d", c.MaxOperations))
	}
	if c.MaxSeries < 1 || c.MaxSeries > 1000000 {
		errs = append(errs, fmt.Errorf("max_series: must be between 1 and 1000000, got %d", c.MaxSeries))
	}
	if c.Period < time.Second {
		errs = append(errs, fmt.Errorf("period: must be at least 1s, got %s", c.Period))
	}
	if c.Retention < c.Period || c.Retention > 10000*c.Period {
		errs = append(errs, fmt.Errorf("retention: must be between period (%s) and 10000 periods, got %s", c.Period, c.Retention))
	}
	if c.FlushInterval < 10*time.Millisecond || c.FlushInterval > c.Period {
		errs = append(errs, fmt.Errorf("flush_interval: must be between 10ms and period (%s), got %s", c.Period, c.FlushInterval))
	}
	switch c.Store {
	case StoreMemory:
	case StoreRedis:
		errs = append(errs, configerr.Prefix("redis", c.Redis.Validate()))
	default:
		errs = append(errs, fmt.Errorf("store: %q is not one of memory, redis", c.Store))
	}
	return errors.Join(errs...)
}

// validHeader reports whether h is an RFC 9110 token.
func validHeader(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
