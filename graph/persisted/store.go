package persisted

import (
	"fmt"
	"log/slog"

	"github.com/trellisgw/trellis/cache"
)

// NewStore returns the store of automatic persisted queries that cfg (defaults applied, validated)
// names: an in-process LRU, or a Redis shared by every gateway instance. It does no I/O: a Redis that
// is down makes look-ups miss (clients then send the query again) rather than failing start-up. The
// caller closes it. logger may be nil.
func NewStore(cfg Config, logger *slog.Logger) (cache.Cache[string], error) {
	const name = "persisted_queries"
	switch cfg.Store {
	case StoreMemory, "":
		return cache.NewMemory[string](name, cfg.Cache)
	case StoreRedis:
		return cache.NewRedisFromConfig(name, cfg.Redis, cfg.Cache.TTL, logger)
	default:
		return nil, fmt.Errorf("persisted_queries.store: must be %q or %q, got %q", StoreMemory, StoreRedis, cfg.Store)
	}
}
