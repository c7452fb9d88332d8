// Package cache holds the gateway's cross-request caches behind one small interface: bounded, optionally
// expiring key-value stores for parsed documents, persisted queries and upstream entities. This package
// knows nothing of GraphQL or upstreams; its method set matches gqlgen's graphql.Cache so a Cache can
// serve as gqlgen's query cache directly.
package cache

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Cache is a bounded key-value store shared across requests. Implementations are safe for concurrent use.
type Cache[V any] interface {
	// Get returns the value stored under key, and whether there was one that has not expired.
	Get(ctx context.Context, key string) (V, bool)
	// Add stores value under key, replacing any previous value, evicting the least recently used entry
	// when the cache is full.
	Add(ctx context.Context, key string, value V)
	// Delete removes key, if present.
	Delete(ctx context.Context, key string)
	// Close releases the cache's resources. The cache must not be used afterwards.
	Close() error
}

// Config sizes one cache. It is the shape of every cache section in the gateway's config file.
type Config struct {
	// Size is the most entries kept; the least recently used one is evicted beyond it. Must be > 0.
	Size int `yaml:"size"`
	// TTL is how long an entry lives after it was added; 0 means entries live until evicted.
	TTL time.Duration `yaml:"ttl"`
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.Size <= 0 {
		errs = append(errs, fmt.Errorf("size: must be > 0, got %d", c.Size))
	}
	if c.TTL < 0 {
		errs = append(errs, fmt.Errorf("ttl: must be >= 0 (0 = no expiry), got %s", c.TTL))
	}
	return errors.Join(errs...)
}
