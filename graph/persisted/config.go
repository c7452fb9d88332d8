package persisted

import (
	"time"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/internal/configerr"
)

// Config is the `persisted_queries` section of the gateway's config file.
type Config struct {
	// Automatic enables automatic persisted queries (Apollo's APQ). Default true. Ignored when a
	// Manifest is set: trusted documents admit no new registrations.
	Automatic *bool `yaml:"automatic"`
	// Cache holds the registered queries by hash. Default size 10000, TTL 24h.
	Cache cache.Config `yaml:"cache"`
	// Manifest is the path of a trusted-documents manifest; when set, only the operations it lists
	// run. Default "" (off).
	Manifest string `yaml:"manifest"`
}

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
	return c
}

// AutomaticOn reports whether automatic registration is enabled.
func (c Config) AutomaticOn() bool { return (c.Automatic == nil || *c.Automatic) && c.Manifest == "" }

// Validate reports every invalid field, each named by its YAML key. (The manifest file itself is read
// and checked by New.)
func (c Config) Validate() error {
	return configerr.Prefix("cache", c.Cache.Validate())
}
