package ratelimit

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"time"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/internal/configerr"
)

// Config is the `rate_limit` section of the gateway's config file.
type Config struct {
	// Enabled turns per-client budgets on. Default false: budgets only mean something once the plans
	// fit the deployment's clients. extensions.cost is on every response either way.
	Enabled bool `yaml:"enabled"`
	// Store is where buckets live: "memory" (the default, per process) or "redis" (shared by every
	// instance that uses the same Redis).
	Store string `yaml:"store"`
	// Plans are the budgets by name: capacity (points) and restore rate (points per second).
	// Default: "default" 200000 at 10000/s and "anonymous" 100000 at 2000/s.
	Plans map[string]Plan `yaml:"plans"`
	// DefaultPlan is the plan of signed-in users. Default "default".
	DefaultPlan string `yaml:"default_plan"`
	// AnonymousPlan is the plan of clients known only by their IP address. Default "anonymous".
	AnonymousPlan string `yaml:"anonymous_plan"`
	// TrustedProxies are the CIDR prefixes of reverse proxies whose X-Forwarded-For is believed; the
	// client is the rightmost address not in them. Default none: the TCP peer is the client.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// MaxClients bounds the buckets the memory store keeps; the least recently used is dropped (its
	// client starts again with a full bucket). Default 100000.
	MaxClients int `yaml:"max_clients"`
	// Redis locates the shared store when Store is "redis" (the gateway's one Redis config type).
	// Default key prefix "trellis:rl:", timeout 100ms.
	Redis cache.RedisConfig `yaml:"redis"`
	// OnRedisError is what a failure of the shared store means for the operation being charged:
	// "local" (fail open onto an in-process bucket, the default), "allow" (let the operation run
	// uncharged) or "deny" (refuse with RATE_LIMITED). Whichever, Redis is then left alone for a
	// while (cache.Backoff), the policy of every Redis user of the gateway.
	OnRedisError string `yaml:"on_redis_error"`
	// Usage is the metering of points and operations per client.
	Usage UsageConfig `yaml:"usage"`
}

// Plan is one budget.
type Plan struct {
	// Capacity is the most points a client can hold, and so the dearest operation it can run.
	Capacity int `yaml:"capacity"`
	// RestoreRate is how many points flow back per second, up to Capacity.
	RestoreRate int `yaml:"restore_rate"`
}

// UsageConfig configures metering.
type UsageConfig struct {
	// Interval is the length of one metering period. Default 1m.
	Interval time.Duration `yaml:"interval"`
	// Keep is how many completed periods GET /admin/usage shows. Default 60.
	Keep int `yaml:"keep"`
	// MaxClients bounds the clients counted per period; the rest are added up under "other".
	// Default 10000.
	MaxClients int `yaml:"max_clients"`
}

// The values of Config.OnRedisError.
const (
	OnErrorLocal = "local"
	OnErrorAllow = "allow"
	OnErrorDeny  = "deny"
)

// The values of Config.Store.
const (
	StoreMemory = "memory"
	StoreRedis  = "redis"
)

// DefaultConfig returns the defaults of every field.
func DefaultConfig() Config { return Config{}.WithDefaults() }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Store == "" {
		c.Store = StoreMemory
	}
	if len(c.Plans) == 0 {
		c.Plans = map[string]Plan{
			"default":   {Capacity: 200000, RestoreRate: 10000},
			"anonymous": {Capacity: 100000, RestoreRate: 2000},
		}
	}
	if c.DefaultPlan == "" {
		c.DefaultPlan = "default"
	}
	if c.AnonymousPlan == "" {
		c.AnonymousPlan = "anonymous"
	}
	if c.TrustedProxies == nil {
		c.TrustedProxies = []string{}
	}
	if c.MaxClients == 0 {
		c.MaxClients = 100000
	}
	if c.Redis.KeyPrefix == "" {
		c.Redis.KeyPrefix = "trellis:rl:"
	}
	if c.Redis.Timeout == 0 {
		c.Redis.Timeout = 100 * time.Millisecond
	}
	if c.OnRedisError == "" {
		c.OnRedisError = OnErrorLocal
	}
	if c.Usage.Interval == 0 {
		c.Usage.Interval = time.Minute
	}
	if c.Usage.Keep == 0 {
		c.Usage.Keep = 60
	}
	if c.Usage.MaxClients == 0 {
		c.Usage.MaxClients = 10000
	}
	return c
}

// planName is what a plan may be called: it appears as is in the RateLimit header fields.
var planName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.Store != StoreMemory && c.Store != StoreRedis {
		errs = append(errs, fmt.Errorf("store: must be %q or %q, got %q", StoreMemory, StoreRedis, c.Store))
	}
	names := make([]string, 0, len(c.Plans))
	for name := range c.Plans {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := c.Plans[name]
		if !planName.MatchString(name) {
			errs = append(errs, fmt.Errorf("plans.%s: a plan name is 1-64 of a-z 0-9 _ . - starting with a letter or digit", name))
		}
		if p.Capacity <= 0 {
			errs = append(errs, fmt.Errorf("plans.%s.capacity: must be > 0, got %d", name, p.Capacity))
		}
		if p.RestoreRate <= 0 {
			errs = append(errs, fmt.Errorf("plans.%s.restore_rate: must be > 0 points per second, got %d", name, p.RestoreRate))
		}
	}
	for key, name := range map[string]string{"default_plan": c.DefaultPlan, "anonymous_plan": c.AnonymousPlan} {
		if _, ok := c.Plans[name]; !ok {
			errs = append(errs, fmt.Errorf("%s: no plan %q under plans", key, name))
		}
	}
	if _, err := parsePrefixes(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("trusted_proxies: %w", err))
	}
	if c.MaxClients < 0 {
		errs = append(errs, fmt.Errorf("max_clients: must be > 0 (0 = default), got %d", c.MaxClients))
	}
	if c.Store == StoreRedis {
		errs = append(errs, configerr.Prefix("redis", c.Redis.Validate()))
	}
	switch c.OnRedisError {
	case OnErrorLocal, OnErrorAllow, OnErrorDeny:
	default:
		errs = append(errs, fmt.Errorf("on_redis_error: must be %q, %q or %q, got %q", OnErrorLocal, OnErrorAllow, OnErrorDeny, c.OnRedisError))
	}
	if c.Usage.Interval < time.Second {
		errs = append(errs, fmt.Errorf("usage.interval: must be >= 1s, got %s", c.Usage.Interval))
	}
	if c.Usage.Keep < 0 {
		errs = append(errs, fmt.Errorf("usage.keep: must be > 0 (0 = default), got %d", c.Usage.Keep))
	}
	if c.Usage.MaxClients < 0 {
		errs = append(errs, fmt.Errorf("usage.max_clients: must be > 0 (0 = default), got %d", c.Usage.MaxClients))
	}
	return errors.Join(errs...)
}

// parsePrefixes parses CIDR prefixes; a bare address is a /32 or /128.
func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, s := range ss {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%q is not an IP address or CIDR prefix", s))
			continue
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, errors.Join(errs...)
}
