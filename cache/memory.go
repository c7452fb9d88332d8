package cache

import (
	"context"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Memory is the in-process Cache backend: a fixed-size LRU (golang-lru/v2) whose entries expire lazily.
//
// golang-lru's expirable.LRU is not used on purpose: in v2.0.7 it starts a cleanup goroutine for every
// cache with a TTL and offers no way to stop it (its Close is commented out), which would leak one
// goroutine per cache. Here an expired entry is dropped when it is read or when LRU pressure evicts it,
// so no goroutine is needed and memory stays bounded by Size.
type Memory[V any] struct {
	lru   *lru.Cache[string, entry[V]]
	ttl   time.Duration
	now   func() time.Time
	hits  metric.Int64Counter
	miss  metric.Int64Counter
	attrs metric.MeasurementOption
}

type entry[V any] struct {
	value   V
	expires time.Time // zero: never
}

// NewMemory returns an in-process cache named name (the `cache` attribute of its hit and miss metrics)
// sized by cfg, which must be valid.
func NewMemory[V any](name string, cfg Config) (*Memory[V], error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	l, err := lru.New[string, entry[V]](cfg.Size)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	meter := otel.Meter("github.com/trellisgw/trellis/cache")
	m := &Memory[V]{lru: l, ttl: cfg.TTL, now: time.Now, attrs: metric.WithAttributes(attribute.String("cache", name))}
	// The OpenTelemetry API only fails here on an invalid instrument name; ours are constants.
	m.hits, _ = meter.Int64Counter("trellis.cache.hits", metric.WithDescription("Cache look-ups that found a live entry."))
	m.miss, _ = meter.Int64Counter("trellis.cache.misses", metric.WithDescription("Cache look-ups that found nothing or an expired entry."))
	return m, nil
}

// Get implements Cache.
func (m *Memory[V]) Get(ctx context.Context, key string) (V, bool) {
	e, ok := m.lru.Get(key)
	if ok && !e.expires.IsZero() && !m.now().Before(e.expires) {
		m.lru.Remove(key)
		ok = false
	}
	if !ok {
		m.miss.Add(ctx, 1, m.attrs)
		var zero V
		return zero, false
	}
	m.hits.Add(ctx, 1, m.attrs)
	return e.value, true
}

// Add implements Cache.
func (m *Memory[V]) Add(_ context.Context, key string, value V) {
	e := entry[V]{value: value}
	if m.ttl > 0 {
		e.expires = m.now().Add(m.ttl)
	}
	m.lru.Add(key, e)
}

// Delete implements Cache.
func (m *Memory[V]) Delete(_ context.Context, key string) { m.lru.Remove(key) }

// Len returns the number of entries, expired ones not yet dropped included.
func (m *Memory[V]) Len() int { return m.lru.Len() }

// Close empties the cache. Memory holds no goroutine or connection, so nothing else needs releasing.
func (m *Memory[V]) Close() error {
	m.lru.Purge()
	return nil
}

// Interface guard.
var _ Cache[int] = (*Memory[int])(nil)
