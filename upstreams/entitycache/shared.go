package entitycache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/upstreams/calltrace"
)

// Shared is the second level of every kind's cache: one Redis shared by the gateway instances, asked
// for what the in-process level misses before the upstream is.
//
// Per batch it costs one round trip to read (MGET for a public kind; one pipeline of HGET for a
// private one) and one to store what the upstream returned (one pipeline of SET NX PX; one EVAL of
// HSET and PEXPIRE for a private kind), never one per key. A public entry is the string
// <prefix><kind>:<shape>:p:<len>:<key>; a private kind keeps one hash per key (…:s:<len>:<key>) with a
// field per caller, so that an invalidation drops every caller's entry of a key at once. <shape> is a
// digest of the value type's shape (see shapeOf), and every value starts with a format byte and its
// expiry, so that an instance built with another shape never reads an entry it would misdecode.
//
// An invalidation replaces the Redis entries by tombstones (see invalidationGuard) and publishes on
// the channel <prefix>invalidate, in one round trip; every instance subscribed drops its in-process
// copies (and keeps look-ups in flight from storing), as Kind.Invalidate does locally. After a lost
// subscription (Redis restarted, the network cut) the subscriber purges the in-process level of every
// kind as soon as it is subscribed again: messages published meanwhile were missed.
//
// A Redis failure is never the caller's: a failed read is a miss, a failed write or delete is dropped,
// each counted in trellis.cache.errors; after one the level leaves Redis alone for cache.DefaultBackoff
// (cache.Backoff, the policy of every Redis user of the gateway), so that a Redis down or hung costs one
// timeout per period, not one per request. Safe for concurrent use.
type Shared struct {
	client  redis.UniversalClient
	prefix  string
	channel string
	timeout time.Duration
	origin  string // this instance, so that it skips its own messages
	log     *slog.Logger
	backoff *cache.Backoff

	mu    sync.Mutex // guards kinds
	kinds map[string]localLevel

	ps         *redis.PubSub
	cancel     context.CancelFunc
	done       chan struct{}
	subscribed atomic.Bool // the subscription is up (tests wait for it)

	hits, misses, errs, resubs metric.Int64Counter
}

// localLevel is what the subscriber needs of a kind: dropping its in-process entries.
type localLevel interface {
	dropLocal(keys []string)
	purgeLocal()
}

// NewShared returns the shared level over a new client for cfg (validated here), subscribed to the
// invalidations of other instances. logger may be nil (slog.Default). Close stops it.
func NewShared(cfg cache.RedisConfig, logger *slog.Logger) (*Shared, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("entity cache redis: %w", err)
	}
	return newShared(cfg.NewClient(), cfg.KeyPrefix, cfg.Timeout, logger), nil
}

// newShared returns the shared level over client, which it owns from now on.
func newShared(client redis.UniversalClient, prefix string, timeout time.Duration, logger *slog.Logger) *Shared {
	if logger == nil {
		logger = slog.Default()
	}
	var id [8]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24)
	s := &Shared{client: client, prefix: prefix, channel: prefix + "invalidate", timeout: timeout,
		origin: hex.EncodeToString(id[:]), log: logger, backoff: cache.NewBackoff(cache.DefaultBackoff, nil),
		kinds: map[string]localLevel{}, done: make(chan struct{})}
	meter := otel.Meter("github.com/trellisgw/trellis/upstreams/entitycache")
	// The OpenTelemetry API only fails here on an invalid instrument name; ours are constants.
	s.hits, _ = meter.Int64Counter("trellis.cache.hits", metric.WithDescription("Cache look-ups that found a live entry."))
	s.misses, _ = meter.Int64Counter("trellis.cache.misses", metric.WithDescription("Cache look-ups that found nothing or an expired entry."))
	s.errs, _ = meter.Int64Counter("trellis.cache.errors", metric.WithDescription("Cache operations that failed in a shared store (a failed look-up also counts as a miss)."))
	s.resubs, _ = meter.Int64Counter("trellis.cache.resubscribes",
		metric.WithDescription("Times the entity cache subscribed again to the invalidations of other instances after losing them; each purges the in-process level."))
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.ps = client.Subscribe(ctx, s.channel)
	go s.subscribe(ctx)
	return s
}

// register makes the subscriber drop kind's in-process entries on other instances' invalidations.
func (s *Shared) register(kind string, l localLevel) {
	s.mu.Lock()
	s.kinds[kind] = l
	s.mu.Unlock()
}

// message is one invalidation on the channel: keys of kind, or every entry of kind when All (of every
// kind when Kind is also "").
type message struct {
	Origin string   `json:"o"`
	Kind   string   `json:"k,omitempty"`
	Keys   []string `json:"keys,omitempty"`
	All    bool     `json:"all,omitempty"`
}

// subscribe applies other instances' invalidations until Close. It purges the in-process level of
// every kind whenever it is subscribed again after the first time: what was published while the
// subscription was lost is unknown.
func (s *Shared) subscribe(ctx context.Context) {
	defer close(s.done)
	ever, lost := false, false
	for {
		m, err := s.ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if s.subscribed.Swap(false) {
				s.log.WarnContext(ctx, "entity cache: invalidations of other instances lost until Redis answers again", "channel", s.channel, "err", err)
			}
			lost = true
			s.errs.Add(ctx, 1, metric.WithAttributes(attribute.String("cache", "entities"), attribute.String("op", "subscribe")))
			select { // go-redis dials again on the next Receive; not in a busy loop
			case <-time.After(cache.DefaultBackoff):
			case <-ctx.Done():
				return
			}
			continue
		}
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			// Entries cached while unsubscribed (also before the first subscription, when Redis was
			// down at start) may have missed an invalidation.
			if ever || lost {
				s.resubs.Add(ctx, 1)
				s.log.WarnContext(ctx, "entity cache: subscribed again to invalidations after losing them; in-process entries purged", "channel", s.channel)
				s.apply(message{All: true})
			}
			ever, lost = true, false
			s.subscribed.Store(true)
		case *redis.Message:
			var msg message
			if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil {
				s.log.WarnContext(ctx, "entity cache: unreadable invalidation ignored", "channel", s.channel, "err", err)
				continue
			}
			if msg.Origin != s.origin {
				s.apply(msg)
			}
		}
	}
}

// apply drops the in-process entries msg names.
func (s *Shared) apply(msg message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, l := range s.kinds {
		switch {
		case msg.Kind == "" && msg.All:
			l.purgeLocal()
		case msg.Kind != name:
		case msg.All:
			l.purgeLocal()
		default:
			l.dropLocal(msg.Keys)
		}
	}
}

// usable reports whether Redis may be tried now (cache.Backoff).
func (s *Shared) usable() bool { return s.backoff.Usable() }

// fail counts a failed operation and starts the back-off, logging an outage when it is new. When the
// caller's own context ended first, the caller gave up: that is not a Redis failure.
func (s *Shared) fail(ctx context.Context, kind, op string, err error) {
	if ctx.Err() != nil {
		return
	}
	s.errs.Add(ctx, 1, metric.WithAttributes(attribute.String("cache", kind), attribute.String("op", op)))
	if s.backoff.Failed() {
		s.log.WarnContext(ctx, "entity cache: redis failure, treated as misses; Redis left alone for a while between tries",
			"cache", kind, "op", op, "backoff", cache.DefaultBackoff, "err", err)
	}
}

// worked ends an outage, logging the recovery.
func (s *Shared) worked(ctx context.Context) {
	if s.backoff.Worked() {
		s.log.InfoContext(ctx, "entity cache: redis reachable again")
	}
}

// get reads the raw entries of keys (full Redis keys) in one round trip: for a private kind (field
// != "") the field of each hash. A missing entry is nil; a failure or the back-off misses them all.
func (s *Shared) get(ctx context.Context, kind string, keys []string, field string) [][]byte {
	out := make([][]byte, len(keys))
	if !s.usable() {
		s.misses.Add(ctx, int64(len(keys)), s.attrs(kind))
		return out
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var err error
	if field == "" {
		var vals []any
		vals, err = s.client.MGet(cctx, keys...).Result()
		for i, v := range vals {
			if str, ok := v.(string); ok && i < len(out) {
				out[i] = []byte(str)
			}
		}
	} else {
		cmds := make([]*redis.StringCmd, len(keys))
		_, err = s.client.Pipelined(cctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = p.HGet(cctx, k, field)
			}
			return nil
		})
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		if err == nil {
			for i, c := range cmds {
				if b, e := c.Bytes(); e == nil {
					out[i] = b
				}
			}
		}
	}
	if err != nil {
		s.fail(ctx, kind, "get", err)
		s.misses.Add(ctx, int64(len(keys)), s.attrs(kind))
		return make([][]byte, len(keys))
	}
	s.worked(ctx)
	return out
}

// count adds a batch's hits and misses of the shared level.
func (s *Shared) count(ctx context.Context, kind string, hits, misses int) {
	if hits > 0 {
		s.hits.Add(ctx, int64(hits), s.attrs(kind))
	}
	if misses > 0 {
		s.misses.Add(ctx, int64(misses), s.attrs(kind))
	}
}

func (s *Shared) attrs(kind string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("cache", kind), attribute.String("level", "redis"))
}

// invalidationGuard is how long an invalidated key refuses new entries in Redis: longer than any
// look-up that began before the invalidation may still run (server.request_timeout, 30s by default,
// bounds them), so that such a look-up, on any instance, cannot put the old value back after the
// invalidation. The in-process level is not affected: the invalidation's message drops what an
// instance stored meanwhile.
const invalidationGuard = 30 * time.Second

// tombFormat is the first byte of a tombstone: the value of an invalidated public key, and of the
// guard key beside an invalidated private hash, while invalidationGuard lasts. A read takes it for a
// miss.
const tombFormat = 0

// privateFill stores private entries unless their key is guarded by a tombstone: KEYS are pairs of
// (hash, guard key), ARGV the field, the TTL in ms and the values in KEYS' pair order.
const privateFill = `
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    redis.call('HSET', KEYS[i], ARGV[1], ARGV[2 + (i + 1) / 2])
    redis.call('PEXPIRE', KEYS[i], ARGV[2], 'NX')
    redis.call('PEXPIRE', KEYS[i], ARGV[2], 'GT')
  end
end
return 0
`

// guardKey is the key of the tombstone beside a private kind's hash.
func guardKey(hash string) string { return hash + "~" }

// set stores raw values under keys (full Redis keys; the field of each hash for a private kind) for
// ttl, in one round trip (a pipeline of SET NX PX; one script for a private kind), except where an
// entry or an invalidation's tombstone is already there. A failure is counted and dropped.
func (s *Shared) set(ctx context.Context, kind string, keys []string, field string, vals [][]byte, ttl time.Duration) {
	if len(keys) == 0 || !s.usable() {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var err error
	if field == "" {
		_, err = s.client.Pipelined(cctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				p.SetNX(cctx, k, vals[i], ttl) // NX: a tombstone stays, and so does another's fill
			}
			return nil
		})
	} else {
		rk := make([]string, 0, 2*len(keys))
		args := make([]any, 0, 2+len(keys))
		args = append(args, field, ttl.Milliseconds())
		for i, k := range keys {
			rk = append(rk, k, guardKey(k))
			args = append(args, vals[i])
		}
		// EVAL, not EVALSHA: one round trip whether Redis has seen the script or not.
		err = s.client.Eval(cctx, privateFill, rk, args...).Err()
	}
	if err != nil {
		s.fail(ctx, kind, "set", err)
		return
	}
	s.worked(ctx)
}

// invalidate replaces the entries of keys (full Redis keys: for a private kind every caller's, the
// whole hash) by tombstones for invalidationGuard, and publishes msg to the other instances, in one
// round trip. A failure is counted and dropped: the entries then live until their TTL.
func (s *Shared) invalidate(ctx context.Context, keys []string, private bool, msg message) {
	if !s.usable() {
		return
	}
	msg.Origin = s.origin
	payload, err := json.Marshal(msg)
	if err != nil {
		s.fail(ctx, msg.Kind, "invalidate", err)
		return
	}
	tomb := []byte{tombFormat}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err = s.client.TxPipelined(cctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			if private {
				p.Del(cctx, k)
				p.Set(cctx, guardKey(k), tomb, invalidationGuard)
				continue
			}
			p.Set(cctx, k, tomb, invalidationGuard)
		}
		p.Publish(cctx, s.channel, payload)
		return nil
	})
	if err != nil {
		s.fail(ctx, msg.Kind, "invalidate", err)
		return
	}
	s.worked(ctx)
}

// purge deletes every entry under pattern's prefix (SCAN, then DEL by batch: an admin's purge, never
// on a request's path) and publishes msg. It waits at most the time ctx allows.
func (s *Shared) purge(ctx context.Context, match string, msg message) {
	if !s.usable() {
		return
	}
	var cursor uint64
	for {
		cctx, cancel := context.WithTimeout(ctx, s.timeout)
		keys, next, err := s.client.Scan(cctx, cursor, match, 1000).Result()
		if err == nil && len(keys) > 0 {
			err = s.client.Del(cctx, keys...).Err()
		}
		cancel()
		if err != nil {
			s.fail(ctx, msg.Kind, "purge", err)
			return
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	s.invalidate(ctx, nil, false, msg)
}

// Purge drops every entry of every kind registered, in process and in Redis, and has every other
// instance purge its in-process level: the admin's "purge everything". A nil Shared does nothing.
func (s *Shared) Purge(ctx context.Context) {
	if s == nil {
		return
	}
	s.apply(message{All: true})
	s.purge(ctx, escapeGlob(s.prefix)+"*", message{All: true})
}

// Close stops the subscriber and closes the client.
func (s *Shared) Close() error {
	if s == nil {
		return nil
	}
	s.cancel()
	err := s.ps.Close()
	<-s.done
	if cerr := s.client.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("entity cache redis: close: %w", err)
	}
	return nil
}

// escapeGlob quotes the characters SCAN MATCH treats as a pattern.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sharedHit is a value the shared level answered, with its expiry.
type sharedHit[V any] struct {
	value   V
	expires time.Time
}

// sharedGet asks the shared level for keys of the caller suffix names ("" for a public kind) in one
// round trip. It returns what it found alive and could decode, and the keys still to fetch, in
// order. An undecodable entry is a miss (and counted as an error).
func (k *Kind[V]) sharedGet(ctx context.Context, suffix string, keys []string) (map[string]sharedHit[V], []string) {
	start := time.Now()
	rk := make([]string, len(keys))
	for i, key := range keys {
		rk[i] = k.base + entryKey(key)
	}
	raw := k.l2.get(ctx, k.name, rk, suffix)
	found := map[string]sharedHit[V]{}
	var rest []string
	t := now()
	for i, key := range keys {
		if raw[i] != nil {
			payload, exp, ok := decodeValue(raw[i])
			var v V
			if ok && t.Before(exp) {
				if err := json.Unmarshal(payload, &v); err == nil {
					found[key] = sharedHit[V]{value: v, expires: exp}
					continue
				} else {
					k.l2.errs.Add(ctx, 1, metric.WithAttributes(attribute.String("cache", k.name), attribute.String("op", "decode")))
				}
			}
		}
		rest = append(rest, key)
	}
	k.l2.count(ctx, k.name, len(found), len(rest))
	if len(found) > 0 {
		calltrace.Record(ctx, calltrace.Call{Upstream: k.upstream, Route: k.route, BatchSize: len(found),
			Attempt: 1, Start: start, Duration: time.Since(start), CacheHit: true})
	}
	return found, rest
}

// sharedSet stores what the upstream returned for keys (those it left out are unknown: not stored)
// in the shared level for ttl, in one round trip.
func (k *Kind[V]) sharedSet(ctx context.Context, suffix string, keys []string, got map[string]V, ttl time.Duration) {
	exp := now().Add(ttl)
	rk := make([]string, 0, len(keys))
	vals := make([][]byte, 0, len(keys))
	for _, key := range keys {
		v, ok := got[key]
		if !ok {
			continue
		}
		payload, err := json.Marshal(v)
		if err != nil {
			k.l2.errs.Add(ctx, 1, metric.WithAttributes(attribute.String("cache", k.name), attribute.String("op", "encode")))
			continue
		}
		rk = append(rk, k.base+entryKey(key))
		vals = append(vals, encodeValue(payload, exp))
	}
	k.l2.set(ctx, k.name, rk, suffix, vals, ttl)
}
