package usage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisStore keeps the counts in Redis, shared by every gateway that uses it. Per period and
// coordinate, one hash counts uses by "client\x1fversion\x1foperation" (HINCRBY) and one sorted set
// keeps when each was last seen (ZADD GT, in Unix milliseconds); both expire after retention + period.
type redisStore struct {
	client    redis.UniversalClient
	prefix    string
	timeout   time.Duration
	retention time.Duration
	period    time.Duration
}

func (s *redisStore) key(period time.Time, coord string) string {
	return s.prefix + strconv.FormatInt(period.Unix(), 10) + ":" + coord
}

func field(r Row) string { return r.Client + "\x1f" + r.Version + "\x1f" + r.Operation }

func (s *redisStore) Add(ctx context.Context, period time.Time, rows []Row) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ttl := s.retention + s.period
	pipe := s.client.Pipeline()
	keys := map[string]bool{}
	for _, r := range rows {
		k := s.key(period, r.Coordinate)
		pipe.HIncrBy(ctx, k, field(r), r.Count)
		pipe.ZAddGT(ctx, k+":last", redis.Z{Score: float64(r.Last.UnixMilli()), Member: field(r)})
		keys[k] = true
	}
	for k := range keys {
		pipe.Expire(ctx, k, ttl)
		pipe.Expire(ctx, k+":last", ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("usage store: %w", err)
	}
	return nil
}

func (s *redisStore) Query(ctx context.Context, coordinates []string, from, to time.Time) (map[string][]Row, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	type pending struct {
		coord string
		hash  *redis.MapStringStringCmd
		last  *redis.ZSliceCmd
	}
	var cmds []pending
	pipe := s.client.Pipeline()
	for _, c := range coordinates {
		for p := from.Truncate(s.period); !p.After(to); p = p.Add(s.period) {
			k := s.key(p, c)
			cmds = append(cmds, pending{c, pipe.HGetAll(ctx, k), pipe.ZRangeWithScores(ctx, k+":last", 0, -1)})
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("usage store: %w", err)
	}
	sums := map[string]map[rowKey]Row{}
	for _, c := range coordinates {
		sums[c] = map[rowKey]Row{}
	}
	for _, cmd := range cmds {
		last := map[string]time.Time{}
		for _, z := range cmd.last.Val() {
			if m, ok := z.Member.(string); ok {
				last[m] = time.UnixMilli(int64(z.Score)).UTC()
			}
		}
		for f, v := range cmd.hash.Val() {
			n, err := strconv.ParseInt(v, 10, 64)
			parts := strings.SplitN(f, "\x1f", 3)
			if err != nil || len(parts) != 3 {
				continue // not written by this store
			}
			k := rowKey{parts[0], parts[1], parts[2]}
			merge(sums[cmd.coord], k, Row{Coordinate: cmd.coord, Client: k.client, Version: k.version, Operation: k.operation, Count: n, Last: last[f]})
		}
	}
	out := make(map[string][]Row, len(coordinates))
	for c, sum := range sums {
		out[c] = rows(sum)
	}
	return out, nil
}

func (s *redisStore) Close() error { return s.client.Close() }
