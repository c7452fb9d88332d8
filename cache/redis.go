package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trellisgw/trellis/internal/secret"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RedisConfig locates a Redis server that holds a cache shared by gateway instances. It is the shape of
// every `redis` section of a cache in the gateway's config file.
type RedisConfig struct {
	// Addr is host:port of the Redis server; required when the cache's store is "redis".
	Addr string `yaml:"addr"`
	// Password authenticates to Redis; empty for none.
	Password secret.Secret `yaml:"password"`
	// DB is the Redis database number. Default 0.
	DB int `yaml:"db"`
	// KeyPrefix is put before every key, so that several caches and deployments can share one Redis.
	KeyPrefix string `yaml:"key_prefix"`
	// Timeout bounds each Redis call (dial, read, write, and the whole command). Must be > 0.
	Timeout time.Duration `yaml:"timeout"`
}

// Validate reports every invalid field, each named by its YAML key.
func (c RedisConfig) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr: required when store is \"redis\", e.g. 127.0.0.1:6379"))
	}
	if c.DB < 0 {
		errs = append(errs, fmt.Errorf("db: must be >= 0, got %d", c.DB))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout: must be > 0, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// NewClient returns a go-redis client for c. It does no I/O; the caller closes it.
func (c RedisConfig) NewClient() *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:         c.Addr,
		Password:     string(c.Password),
		DB:           c.DB,
		DialTimeout:  c.Timeout,
		ReadTimeout:  c.Timeout,
		WriteTimeout: c.Timeout,
		// A cache look-up is not worth a second wait: a failure is a miss.
		MaxRetries:         -1,
		DialerRetries:      1,
		DialerRetryTimeout: c.Timeout,
	})
}

// Redis is the Cache backend shared by gateway instances: string values in Redis under a key prefix,
// expiring by Redis's own TTL (SET with PX).
//
// Size is not enforced here: Redis bounds memory with its maxmemory and maxmemory-policy settings
// (e.g. allkeys-lru, or volatile-lru since every entry written with a TTL is volatile), configured on
// the server. A Redis failure never reaches the caller: Get counts it as a miss, Add and Delete drop
// it; each failure adds to trellis.cache.errors. After a failure the cache leaves Redis alone for
// DefaultBackoff (a Backoff, the rate limiter's policy too): meanwhile Get misses and Add and Delete do
// nothing, without I/O, so that a Redis that refuses or hangs costs one timeout per second, not one
// per request. An outage is logged once when it starts and once when Redis answers again.
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	ttl     time.Duration
	timeout time.Duration
	logger  *slog.Logger
	name    string
	backoff *Backoff
	hits    metric.Int64Counter
	miss    metric.Int64Counter
	errs    metric.Int64Counter
	attrs   metric.MeasurementOption
}

// NewRedis returns a cache named name (the `cache` attribute of its metrics and logs) over client,
// which it owns from now on (Close closes it). Every key is prefixed with prefix; entries expire after
// ttl (0: never); each call waits at most timeout (> 0). logger may be nil (slog.Default).
func NewRedis(name string, client redis.UniversalClient, prefix string, ttl, timeout time.Duration, logger *slog.Logger) (*Redis, error) {
	if client == nil {
		return nil, fmt.Errorf("cache %s: nil Redis client", name)
	}
	if ttl < 0 {
		return nil, fmt.Errorf("cache %s: ttl must be >= 0, got %s", name, ttl)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("cache %s: timeout must be > 0, got %s", name, timeout)
	}
	if logger == nil {
		logger = slog.Default()
	}
	meter := otel.Meter("github.com/trellisgw/trellis/cache")
	r := &Redis{client: client, prefix: prefix, ttl: ttl, timeout: timeout, logger: logger, name: name,
		backoff: NewBackoff(DefaultBackoff, nil), attrs: metric.WithAttributes(attribute.String("cache", name))}
	// The OpenTelemetry API only fails here on an invalid instrument name; ours are constants.
	r.hits, _ = meter.Int64Counter("trellis.cache.hits", metric.WithDescription("Cache look-ups that found a live entry."))
	r.miss, _ = meter.Int64Counter("trellis.cache.misses", metric.WithDescription("Cache look-ups that found nothing or an expired entry."))
	r.errs, _ = meter.Int64Counter("trellis.cache.errors", metric.WithDescription("Cache operations that failed in a shared store (a failed look-up also counts as a miss)."))
	return r, nil
}

// NewRedisFromConfig returns a Redis cache over a new client for cfg, which must be valid.
func NewRedisFromConfig(name string, cfg RedisConfig, ttl time.Duration, logger *slog.Logger) (*Redis, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	return NewRedis(name, cfg.NewClient(), cfg.KeyPrefix, ttl, cfg.Timeout, logger)
}

// Get implements Cache. A Redis failure, or a Redis in its back-off, is a miss.
func (r *Redis) Get(ctx context.Context, key string) (string, bool) {
	if !r.backoff.Usable() {
		r.miss.Add(ctx, 1, r.attrs)
		return "", false
	}
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	v, err := r.client.Get(cctx, r.prefix+key).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		r.fail(ctx, "get", err)
		r.miss.Add(ctx, 1, r.attrs)
		return "", false
	}
	r.worked(ctx)
	if err != nil {
		r.miss.Add(ctx, 1, r.attrs)
		return "", false
	}
	r.hits.Add(ctx, 1, r.attrs)
	return v, true
}

// Add implements Cache. The entry expires after the cache's TTL by Redis's clock; a failure is logged
// and dropped.
func (r *Redis) Add(ctx context.Context, key string, value string) {
	if !r.backoff.Usable() {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Set(cctx, r.prefix+key, value, r.ttl).Err(); err != nil {
		r.fail(ctx, "add", err)
		return
	}
	r.worked(ctx)
}

// Delete implements Cache. A failure is logged and dropped.
func (r *Redis) Delete(ctx context.Context, key string) {
	if !r.backoff.Usable() {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Del(cctx, r.prefix+key).Err(); err != nil {
		r.fail(ctx, "delete", err)
		return
	}
	r.worked(ctx)
}

// Close closes the Redis client and its connections.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("cache %s: close redis client: %w", r.name, err)
	}
	return nil
}

// fail counts a failed operation and starts the back-off, logging the outage when it is new. When the
// caller's own context ended first, the caller gave up: that is not a Redis failure.
func (r *Redis) fail(ctx context.Context, op string, err error) {
	if ctx.Err() != nil {
		return
	}
	r.errs.Add(ctx, 1, r.attrs, metric.WithAttributes(attribute.String("op", op)))
	if r.backoff.Failed() {
		r.logger.WarnContext(ctx, "redis cache failure: treated as misses, Redis left alone for a while between tries",
			"cache", r.name, "op", op, "backoff", DefaultBackoff, "err", err)
	}
}

// worked ends an outage, logging the recovery.
func (r *Redis) worked(ctx context.Context) {
	if r.backoff.Worked() {
		r.logger.InfoContext(ctx, "redis cache reachable again", "cache", r.name)
	}
}

// Interface guard.
var _ Cache[string] = (*Redis)(nil)
