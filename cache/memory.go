package cache

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Memory is the in-process Cache backend: a fixed-size LRU (golang-lru/v2's simplelru behind one
// mutex) whose entries expire lazily, optionally bounded in bytes as well as in entries.
//
// golang-lru's expirable.LRU is not used on purpose: in v2.0.7 it starts a cleanup goroutine for every
// cache with a TTL and offers no way to stop it (its Close is commented out), which would leak one
// goroutine per cache. Here an expired entry is dropped when it is read or when LRU pressure evicts it,
// so no goroutine is needed and memory stays bounded by Size (and MaxBytes when set).
type Memory[V any] struct {
	mu       sync.Mutex // guards lru and bytes
	lru      *simplelru.LRU[string, entry[V]]
	bytes    int64
	maxBytes int64                       // 0: no byte bound
	sizeOf   func(key string, v V) int64 // nil when maxBytes is 0

	ttl   time.Duration
	now   func() time.Time
	fresh func(V) bool // nil: every live entry is a hit
	hits  metric.Int64Counter
	miss  metric.Int64Counter
	evict metric.Int64Counter
	reg   metric.Registration
	attrs []metric.AddOption // the `cache` attribute, as the variadic slice Add takes: made once
}

type entry[V any] struct {
	value   V
	expires time.Time // zero: never
	size    int64
}

// MemoryOption adjusts a Memory cache at construction.
type MemoryOption[V any] func(*Memory[V])

// WithMaxBytes bounds the cache's entries to maxBytes in all (> 0), each entry weighing sizeOf(key,
// value): the least recently used entries are evicted until a new one fits, and an entry heavier than
// maxBytes alone is not kept. sizeOf should be cheap and approximate the memory the entry holds.
func WithMaxBytes[V any](maxBytes int64, sizeOf func(key string, v V) int64) MemoryOption[V] {
	return func(m *Memory[V]) { m.maxBytes, m.sizeOf = maxBytes, sizeOf }
}

// WithFresh makes a live entry for which fresh returns false count as a miss in trellis.cache.misses
// (Get still returns it): a caller that keeps stale entries to revalidate them counts only fresh
// ones as hits.
func WithFresh[V any](fresh func(V) bool) MemoryOption[V] {
	return func(m *Memory[V]) { m.fresh = fresh }
}

// WithClock makes the cache read the time from now instead of time.Now (tests).
func WithClock[V any](now func() time.Time) MemoryOption[V] {
	return func(m *Memory[V]) { m.now = now }
}

// NewMemory returns an in-process cache named name (the `cache` attribute of its metrics) sized by
// cfg, which must be valid. Its metrics: trellis.cache.hits, .misses, .evictions (entries dropped to
// make room; expired or deleted entries are not evictions), and the gauges trellis.cache.entries and
// trellis.cache.bytes (0 without WithMaxBytes).
func NewMemory[V any](name string, cfg Config, opts ...MemoryOption[V]) (*Memory[V], error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	m := &Memory[V]{ttl: cfg.TTL, now: time.Now, attrs: []metric.AddOption{metric.WithAttributes(attribute.String("cache", name))}}
	for _, o := range opts {
		o(m)
	}
	if m.maxBytes < 0 || (m.maxBytes > 0 && m.sizeOf == nil) {
		return nil, fmt.Errorf("cache %s: max bytes must be > 0 with a size function, got %d", name, m.maxBytes)
	}
	l, err := simplelru.NewLRU[string, entry[V]](cfg.Size, func(_ string, e entry[V]) { m.bytes -= e.size })
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	m.lru = l
	meter := otel.Meter("github.com/trellisgw/trellis/cache")
	// The OpenTelemetry API only fails here on an invalid instrument name; ours are constants.
	m.hits, _ = meter.Int64Counter("trellis.cache.hits", metric.WithDescription("Cache look-ups that found a live entry."))
	m.miss, _ = meter.Int64Counter("trellis.cache.misses", metric.WithDescription("Cache look-ups that found nothing or an expired entry."))
	m.evict, _ = meter.Int64Counter("trellis.cache.evictions", metric.WithDescription("Cache entries dropped to make room for others."))
	entries, _ := meter.Int64ObservableGauge("trellis.cache.entries", metric.WithDescription("Entries held by an in-process cache, expired ones not yet dropped included."))
	size, _ := meter.Int64ObservableGauge("trellis.cache.bytes", metric.WithDescription("Estimated bytes held by an in-process cache with a byte bound."), metric.WithUnit("By"))
	attrs := metric.WithAttributes(attribute.String("cache", name))
	m.reg, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		m.mu.Lock()
		n, b := m.lru.Len(), m.bytes
		m.mu.Unlock()
		o.ObserveInt64(entries, int64(n), attrs)
		o.ObserveInt64(size, b, attrs)
		return nil
	}, entries, size)
	if err != nil {
		return nil, fmt.Errorf("cache %s: register gauges: %w", name, err)
	}
	return m, nil
}

// Get implements Cache.
func (m *Memory[V]) Get(ctx context.Context, key string) (V, bool) {
	m.mu.Lock()
	e, ok := m.liveLocked(key, m.now())
	m.mu.Unlock()
	if !ok {
		m.miss.Add(ctx, 1, m.attrs...)
		var zero V
		return zero, false
	}
	if m.fresh != nil && !m.fresh(e.value) {
		m.miss.Add(ctx, 1, m.attrs...)
		return e.value, true
	}
	m.hits.Add(ctx, 1, m.attrs...)
	return e.value, true
}

// liveLocked returns key's entry unless it has expired at now (then it is removed), with m.mu held.
func (m *Memory[V]) liveLocked(key string, now time.Time) (entry[V], bool) {
	e, ok := m.lru.Get(key)
	if ok && !e.expires.IsZero() && !now.Before(e.expires) {
		m.lru.Remove(key)
		return e, false
	}
	return e, ok
}

// Fetch is Get for every key of keys at once, under one lock and with one measurement each of the
// hits and the misses: found(i, v) is called for each keys[i] that Get would return, in the order of
// keys. found runs with m's lock held and must not call m.
func (m *Memory[V]) Fetch(ctx context.Context, keys []string, found func(i int, v V)) {
	hits, misses := 0, 0
	m.mu.Lock()
	now := m.now()
	for i, key := range keys {
		e, ok := m.liveLocked(key, now)
		switch {
		case !ok:
			misses++
			continue
		case m.fresh != nil && !m.fresh(e.value):
			misses++
		default:
			hits++
		}
		found(i, e.value)
	}
	m.mu.Unlock()
	if hits > 0 {
		m.hits.Add(ctx, int64(hits), m.attrs...)
	}
	if misses > 0 {
		m.miss.Add(ctx, int64(misses), m.attrs...)
	}
}

// Add implements Cache. The entry lives for the cache's TTL.
func (m *Memory[V]) Add(ctx context.Context, key string, value V) { m.AddTTL(ctx, key, value, m.ttl) }

// AddTTL stores value under key for ttl; ttl <= 0 means until evicted.
func (m *Memory[V]) AddTTL(ctx context.Context, key string, value V, ttl time.Duration) {
	e := entry[V]{value: value}
	if ttl > 0 {
		e.expires = m.now().Add(ttl)
	}
	if m.sizeOf != nil {
		e.size = m.sizeOf(key, value)
		if e.size > m.maxBytes {
			m.Delete(ctx, key) // too heavy to keep; an older value must not outlive this one
			return
		}
	}
	evicted := 0
	m.mu.Lock()
	if old, ok := m.lru.Peek(key); ok {
		m.bytes -= old.size // replaced in place: simplelru calls no eviction callback
	}
	if m.lru.Add(key, e) {
		evicted++
	}
	m.bytes += e.size
	for m.maxBytes > 0 && m.bytes > m.maxBytes {
		if _, _, ok := m.lru.RemoveOldest(); !ok {
			break
		}
		evicted++
	}
	m.mu.Unlock()
	if evicted > 0 {
		m.evict.Add(ctx, int64(evicted), m.attrs...)
	}
}

// Delete implements Cache.
func (m *Memory[V]) Delete(_ context.Context, key string) {
	m.mu.Lock()
	m.lru.Remove(key)
	m.mu.Unlock()
}

// DeletePrefix removes every entry whose key starts with prefix and returns how many there were. It
// walks every key: meant for rare invalidations, not for the request path.
func (m *Memory[V]) DeletePrefix(prefix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, k := range m.lru.Keys() {
		if strings.HasPrefix(k, prefix) {
			m.lru.Remove(k)
			n++
		}
	}
	return n
}

// Purge removes every entry.
func (m *Memory[V]) Purge() {
	m.mu.Lock()
	m.lru.Purge()
	m.mu.Unlock()
}

// Len returns the number of entries, expired ones not yet dropped included.
func (m *Memory[V]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}

// Bytes returns the estimated bytes held (0 without WithMaxBytes).
func (m *Memory[V]) Bytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

// Close empties the cache and unregisters its gauges. Memory holds no goroutine or connection, so
// nothing else needs releasing.
func (m *Memory[V]) Close() error {
	m.Purge()
	if err := m.reg.Unregister(); err != nil {
		return fmt.Errorf("cache: unregister gauges: %w", err)
	}
	return nil
}

// Interface guard.
var _ Cache[int] = (*Memory[int])(nil)
