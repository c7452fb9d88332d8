package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trellisgw/trellis/cache"
)

// bucketScript is one token-bucket decision, atomic in Redis and timed by Redis's clock, so that every
// gateway instance sees the same bucket whatever its own clock says. KEYS[1] is the bucket (a hash of
// tokens t and time ts in seconds); ARGV are the capacity, the restore rate per second and the tokens
// to take (a refund when negative). It returns {allowed (1/0), tokens after the decision}. The key
// expires once the bucket would be full again, so idle clients cost no memory.
var bucketScript = redis.NewScript(`
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local delta = tonumber(ARGV[3])
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = t
end
if t > ts then
  tokens = tokens + (t - ts) * rate
  ts = t
end
if tokens > capacity then
  tokens = capacity
end
local allowed = 1
if delta < 0 then
  tokens = math.min(capacity, tokens - delta)
elseif tokens >= delta then
  tokens = tokens - delta
else
  allowed = 0
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
`)

// RedisStore is the Store shared by gateway instances: one Lua script per decision (bucketScript).
type RedisStore struct {
	client  *redis.Client
	prefix  string
	timeout time.Duration
}

// NewRedisStore returns a store over cfg's Redis. It does no I/O; Close releases its connections.
func NewRedisStore(cfg cache.RedisConfig) *RedisStore {
	c := cfg.NewClient()
	return &RedisStore{client: c, prefix: cfg.KeyPrefix, timeout: cfg.Timeout}
}

// Take implements Store.
func (s *RedisStore) Take(ctx context.Context, key string, p Plan, cost float64) (Bucket, error) {
	return s.run(ctx, key, p, cost)
}

// Refund implements Store.
func (s *RedisStore) Refund(ctx context.Context, key string, p Plan, amount float64) (Bucket, error) {
	return s.run(ctx, key, p, -amount)
}

func (s *RedisStore) run(ctx context.Context, key string, p Plan, delta float64) (Bucket, error) {
	// Bounded on its own: EVALSHA that falls back to EVAL is two round trips.
	ctx, cancel := context.WithTimeout(ctx, 2*s.timeout)
	defer cancel()
	res, err := bucketScript.Run(ctx, s.client, []string{s.prefix + key},
		p.Capacity, p.RestoreRate, strconv.FormatFloat(delta, 'f', -1, 64)).Slice()
	if err != nil {
		return Bucket{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(res) != 2 {
		return Bucket{}, errors.New("ratelimit: redis: unexpected script reply")
	}
	allowed, _ := res[0].(int64)
	text, _ := res[1].(string)
	tokens, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return Bucket{}, fmt.Errorf("ratelimit: redis: tokens %q: %w", text, err)
	}
	return Bucket{Allowed: allowed == 1, Tokens: tokens}, nil
}

// Close releases the store's connections.
func (s *RedisStore) Close() error { return s.client.Close() }
