package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Store keeps token buckets by key. Implementations are safe for concurrent use.
type Store interface {
	// Take removes cost tokens from the bucket of key when it holds that many (a bucket first seen is
	// full); either way it returns the bucket's state after the decision.
	Take(ctx context.Context, key string, p Plan, cost float64) (Bucket, error)
	// Refund returns amount tokens to the bucket of key, up to its capacity.
	Refund(ctx context.Context, key string, p Plan, amount float64) (Bucket, error)
}

// Bucket is a bucket's state after a decision.
type Bucket struct {
	// Allowed reports whether the tokens asked for were taken (always true for a refund).
	Allowed bool
	// Tokens is what the bucket holds now.
	Tokens float64
}

// RetryAfter returns how long until the bucket holds cost tokens at plan p's restore rate, at least
// one second when it lacks any.
func (b Bucket) RetryAfter(p Plan, cost float64) time.Duration {
	lack := cost - b.Tokens
	if lack <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(lack/float64(p.RestoreRate))) * time.Second
}

// MemoryStore is the in-process Store: a bounded LRU of buckets.
type MemoryStore struct {
	mu      sync.Mutex // guards buckets
	buckets *simplelru.LRU[string, memBucket]
	now     func() time.Time
}

type memBucket struct {
	tokens float64
	at     time.Time
}

// NewMemoryStore returns an in-process store of at most maxKeys buckets (> 0).
func NewMemoryStore(maxKeys int) (*MemoryStore, error) {
	l, err := simplelru.NewLRU[string, memBucket](maxKeys, nil)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: memory store: %w", err)
	}
	return &MemoryStore{buckets: l, now: time.Now}, nil
}

// Take implements Store.
func (s *MemoryStore) Take(_ context.Context, key string, p Plan, cost float64) (Bucket, error) {
	return s.apply(key, p, cost), nil
}

// Refund implements Store.
func (s *MemoryStore) Refund(_ context.Context, key string, p Plan, amount float64) (Bucket, error) {
	return s.apply(key, p, -amount), nil
}

// apply takes delta tokens (a refund when negative) after restoring what flowed back since the last use.
func (s *MemoryStore) apply(key string, p Plan, delta float64) Bucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	capacity := float64(p.Capacity)
	b, ok := s.buckets.Get(key)
	if !ok {
		b = memBucket{tokens: capacity, at: now}
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = math.Min(capacity, b.tokens+elapsed.Seconds()*float64(p.RestoreRate))
		b.at = now
	}
	b.tokens = math.Min(b.tokens, capacity) // the plan may have shrunk
	allowed := true
	switch {
	case delta < 0:
		b.tokens = math.Min(capacity, b.tokens-delta)
	case b.tokens >= delta:
		b.tokens -= delta
	default:
		allowed = false
	}
	s.buckets.Add(key, b)
	return Bucket{Allowed: allowed, Tokens: b.tokens}
}

// Interface guards.
var (
	_ Store = (*MemoryStore)(nil)
	_ Store = (*RedisStore)(nil)
)
