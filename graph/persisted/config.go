package persisted

import (
	"errors"
	"fmt"
	"time"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/internal/configerr"
)

// Config is the `persisted_queries` section of the gateway's config file.
type Config struct {
	// Automatic enables automatic persisted queries (Apollo's APQ). Default true. Ignored when a
	// Manifest is set: trusted documents admit no new registrations.
	Automatic *bool `yaml:"automatic"`
	// Cache holds the registered queries by hash. Default size 10000, TTL 24h. With store "redis"
	// only the TTL applies: Redis's maxmemory policy bounds the size.
	Cache cache.Config `yaml:"cache"`
	// Store is where automatic persisted queries live: "memory" (the default, per process) or "redis"
	// (shared by every instance that uses the same Redis, so a query registered through one instance
	// is found by the others).
	Store string `yaml:"store"`
	// Redis locates the shared store when Store is "redis". Default key prefix "trellis:pq:",
	// timeout 100ms.
	Redis cache.RedisConfig `yaml:"redis"`
	// Manifest is the path of a trusted-documents manifest; when set, only the operations it lists
	// run. Default "" (off).
	Manifest string `yaml:"manifest"`
}

// The values of Config.Store.
const (
	StoreMemory = "memory"
	StoreRedis  = "redis"
)

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Automatic == nil {
		on := true
		c.Automatic = &on
	}
	if c.Cache.Size == 0 {
		c.Cache.Size = 10000
	}
	if c.Cache.TTL == 0 {
		c.Cache.TTL = 24 * time.Hour
	}
	if c.Store == "" {
		c.Store = StoreMemory
	}
	if c.Redis.KeyPrefix == "" {
		c.Redis.KeyPrefix = "trellis:pq:"
	}
	if c.Redis.Timeout == 0 {
		c.Redis.Timeout = 100 * time.Millisecond
	}
	return c
}

// AutomaticOn reports whether automatic registration is enabled.
func (c Config) AutomaticOn() bool { return (c.Automatic == nil || *c.Automatic) && c.Manifest == "" }

// Validate reports every invalid field, each named by its YAML key. (The manifest file itself is read
// and checked by New.)
func (c Config) Validate() error {
	errs := []error{configerr.Prefix("cache", c.Cache.Validate())}
	switch c.Store {
	case StoreMemory:
	case StoreRedis:
		errs = append(errs, configerr.Prefix("redis", c.Redis.Validate()))
	default:
		errs = append(errs, fmt.Errorf("store: must be %q or %q, got %q", StoreMemory, StoreRedis, c.Store))
	}
	return errors.Join(errs...)
}
