package upstreams

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/internal/configerr"

	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
	ordersv1 "github.com/trellisgw/trellis/proto/orders/v1"
	"github.com/trellisgw/trellis/upstreams/entitycache"
)

// The entity kinds, named as the loaders name their batches; the keys of `cache.kinds`.
const (
	KindUsersByID        = "users_by_id"
	KindProductsByUPC    = "products_by_upc"
	KindStockByUPC       = "stock_by_upc"
	KindReviewsByProduct = "reviews_by_product"
	KindReviewsByAuthor  = "reviews_by_author"
	KindOrdersByID       = "orders_by_id"
	KindOrdersByBuyer    = "orders_by_buyer"
	// The root lists, keyed by their arguments.
	KindUsersPage    = "users_page"
	KindProductsPage = "products_page"
	KindTopProducts  = "top_products"
)

// Kinds lists every entity kind, sorted.
var Kinds = []string{KindOrdersByBuyer, KindOrdersByID, KindProductsByUPC, KindProductsPage, KindReviewsByAuthor,
	KindReviewsByProduct, KindStockByUPC, KindTopProducts, KindUsersByID, KindUsersPage}

// CacheConfig is the `cache` section of the gateway's config file: the entity cache in front of the
// typed clients' batch look-ups. Each kind's TTL and scope come from the schema's @cacheControl hints
// (handed to New as Hints); Kinds overrides them per kind.
type CacheConfig struct {
	// Enabled turns the entity cache on. Default false: every look-up goes to its upstream.
	Enabled bool `yaml:"enabled"`
	// MaxEntries bounds each kind's entries. Default 10000.
	MaxEntries int `yaml:"max_entries"`
	// MaxBytes bounds each kind's estimated bytes. Default 8 MiB.
	MaxBytes int64 `yaml:"max_bytes"`
	// DefaultMaxAge is the TTL of a kind that neither the schema nor Kinds gives one; 0s = such a kind
	// is not cached. Default 0s.
	DefaultMaxAge time.Duration `yaml:"default_max_age"`
	// KeepStale is how long an entry whose upstream answer carried a validator (a REST ETag or a strong
	// Last-Modified) is kept past its TTL, within max_entries and max_bytes, so that its next look-up
	// revalidates it (a conditional GET; a 304 refreshes it without a body); 0s = not kept, stale
	// entries are fetched again. Default 5m.
	KeepStale time.Duration `yaml:"keep_stale"`
	// Kinds overrides the schema's hints per kind (keys: Kinds).
	Kinds map[string]KindConfig `yaml:"kinds,omitempty"`
	// Store is the second level: "memory" (none: each instance caches on its own, the default) or
	// "redis" (a Redis shared by the instances, asked for what the in-process level misses, and the
	// channel on which an invalidation through one instance reaches the others).
	Store string `yaml:"store"`
	// Redis locates the shared level when Store is "redis". Default key prefix "trellis:ec:",
	// timeout 100ms.
	Redis cache.RedisConfig `yaml:"redis"`
}

// The values of CacheConfig.Store.
const (
	CacheStoreMemory = "memory"
	CacheStoreRedis  = "redis"
)

// KindConfig overrides one kind's caching.
type KindConfig struct {
	// MaxAge is the kind's TTL; 0s = the schema's hint. A negative value is refused; to stop caching a
	// kind, set disabled.
	MaxAge time.Duration `yaml:"max_age"`
	// Scope is "public" or "private"; "" = the schema's hint.
	Scope string `yaml:"scope"`
	// Disabled turns caching of the kind off.
	Disabled bool `yaml:"disabled"`
	// StaleWhileRevalidate lets an entry past its TTL be served at once, for this long, while one
	// background refresh of it runs; 0s = only as long as the upstream's stale-while-revalidate
	// directive grants (with both, the smaller; must-revalidate or no-cache upstream withdraw it).
	StaleWhileRevalidate time.Duration `yaml:"stale_while_revalidate"`
}

// Hint is what the schema says about caching one kind: its maxAge and scope (the @cacheControl
// directive on the type or field the kind answers). A zero MaxAge means no hint.
type Hint struct {
	MaxAge  time.Duration
	Private bool
}

// Defaults of CacheConfig.
const (
	DefaultCacheMaxEntries = 10000
	DefaultCacheMaxBytes   = 8 << 20
	DefaultCacheKeepStale  = 5 * time.Minute
)

// WithDefaults returns c with zero fields set to their defaults.
func (c CacheConfig) WithDefaults() CacheConfig {
	if c.MaxEntries == 0 {
		c.MaxEntries = DefaultCacheMaxEntries
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultCacheMaxBytes
	}
	if c.KeepStale == 0 {
		c.KeepStale = DefaultCacheKeepStale
	}
	if c.Store == "" {
		c.Store = CacheStoreMemory
	}
	if c.Redis.KeyPrefix == "" {
		c.Redis.KeyPrefix = "trellis:ec:"
	}
	if c.Redis.Timeout == 0 {
		c.Redis.Timeout = 100 * time.Millisecond
	}
	return c
}

// Validate reports every invalid field, each named by its key below `cache`.
func (c CacheConfig) Validate() error {
	var errs []error
	if c.MaxEntries < 0 {
		errs = append(errs, fmt.Errorf("max_entries: must be > 0, got %d", c.MaxEntries))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("max_bytes: must be > 0, got %d", c.MaxBytes))
	}
	if c.DefaultMaxAge < 0 {
		errs = append(errs, fmt.Errorf("default_max_age: must be >= 0 (0s = kinds without a hint are not cached), got %s", c.DefaultMaxAge))
	}
	if c.KeepStale < 0 {
		errs = append(errs, fmt.Errorf("keep_stale: must be >= 0, got %s", c.KeepStale))
	}
	switch c.Store {
	case CacheStoreMemory:
	case CacheStoreRedis:
		errs = append(errs, configerr.Prefix("redis", c.Redis.Validate()))
	default:
		errs = append(errs, fmt.Errorf("store: must be %q or %q, got %q", CacheStoreMemory, CacheStoreRedis, c.Store))
	}
	for _, name := range slices.Sorted(maps.Keys(c.Kinds)) {
		k := c.Kinds[name]
		if !slices.Contains(Kinds, name) {
			errs = append(errs, fmt.Errorf("kinds.%s: unknown kind; want one of %s", name, strings.Join(Kinds, ", ")))
			continue
		}
		if k.StaleWhileRevalidate < 0 {
			errs = append(errs, fmt.Errorf("kinds.%s.stale_while_revalidate: must be >= 0, got %s", name, k.StaleWhileRevalidate))
		}
		if k.MaxAge < 0 {
			errs = append(errs, fmt.Errorf("kinds.%s.max_age: must be >= 0 (0s = the schema's hint), got %s", name, k.MaxAge))
		}
		if k.Scope != "" && k.Scope != string(entitycache.Public) && k.Scope != string(entitycache.Private) {
			errs = append(errs, fmt.Errorf("kinds.%s.scope: %q is not public or private", name, k.Scope))
		}
	}
	return errors.Join(errs...)
}

// Policy returns how kind is cached given the schema's hint: the override of Kinds first, then the
// hint, then DefaultMaxAge. A TTL of 0 means the kind is not cached.
func (c CacheConfig) Policy(kind string, hint Hint) entitycache.Policy {
	p := entitycache.Policy{TTL: hint.MaxAge, Scope: entitycache.Public, MaxEntries: c.MaxEntries, MaxBytes: c.MaxBytes, KeepStale: c.KeepStale}
	if hint.Private {
		p.Scope = entitycache.Private
	}
	if p.TTL == 0 {
		p.TTL = c.DefaultMaxAge
	}
	o := c.Kinds[kind]
	if o.MaxAge > 0 {
		p.TTL = o.MaxAge
	}
	if o.Scope != "" {
		p.Scope = entitycache.Scope(o.Scope)
	}
	p.StaleWhileRevalidate = o.StaleWhileRevalidate
	if !c.Enabled || o.Disabled {
		p.TTL = 0
	}
	return p
}

// The gRPC methods of the batch look-ups, as call traces name them.
const (
	inventoryGetStock  = inventoryv1.InventoryService_GetStock_FullMethodName
	ordersGetOrders    = ordersv1.OrderService_GetOrders_FullMethodName
	ordersListByBuyers = ordersv1.OrderService_ListOrdersByBuyers_FullMethodName
)

// cachedByKey answers keys through k (nil: straight from fetch), each key naming one entity whose key
// is keyOf(entity); the result is in the order of keys, unknown keys left out.
func cachedByKey[V any](ctx context.Context, k *entitycache.Kind[V], keys []string, keyOf func(V) string, fetch func(context.Context, []string) ([]V, error)) ([]V, error) {
	if k == nil {
		return fetch(ctx, keys)
	}
	found, err := k.Load(ctx, keys, func(ctx context.Context, miss []string) (map[string]V, error) {
		vs, err := fetch(ctx, miss)
		if err != nil {
			return nil, err
		}
		m := make(map[string]V, len(vs))
		for _, v := range vs {
			m[keyOf(v)] = v
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]V, 0, len(found))
	for _, key := range keys {
		if v, ok := found[key]; ok {
			out = append(out, v)
			delete(found, key) // a repeated key answers once, as the services do
		}
	}
	return out, nil
}

// cachedGroups answers keys through k (nil: straight from fetch), each key naming the group of
// entities whose groupOf is the key (a key without any is an empty group, cached too); the result is
// the groups in the order of keys.
func cachedGroups[V any](ctx context.Context, k *entitycache.Kind[[]V], keys []string, groupOf func(V) string, fetch func(context.Context, []string) ([]V, error)) ([]V, error) {
	if k == nil {
		return fetch(ctx, keys)
	}
	found, err := k.Load(ctx, keys, func(ctx context.Context, miss []string) (map[string][]V, error) {
		vs, err := fetch(ctx, miss)
		if err != nil {
			return nil, err
		}
		m := make(map[string][]V, len(miss))
		for _, key := range miss {
			m[key] = []V{}
		}
		for _, v := range vs {
			if g, ok := m[groupOf(v)]; ok {
				m[groupOf(v)] = append(g, v)
			}
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	n := 0
	for _, g := range found {
		n += len(g)
	}
	out := make([]V, 0, n) // sized once: appending group by group grew it several times
	for _, key := range keys {
		out = append(out, found[key]...)
		delete(found, key)
	}
	return out, nil
}

// cachedOne answers one call, named by key (its arguments), through k (nil: straight from fetch).
func cachedOne[V any](ctx context.Context, k *entitycache.Kind[V], key string, fetch func(context.Context) (V, error)) (V, error) {
	if k == nil {
		return fetch(ctx)
	}
	found, err := k.Load(ctx, []string{key}, func(ctx context.Context, _ []string) (map[string]V, error) {
		v, err := fetch(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]V{key: v}, nil
	})
	return found[key], err
}

// caches are the entity caches of the clients' batch look-ups; a nil one caches nothing.
type caches struct {
	users          *entitycache.Kind[User]
	products       *entitycache.Kind[Product]
	stock          *entitycache.Kind[Stock]
	reviewsProduct *entitycache.Kind[[]Review]
	reviewsAuthor  *entitycache.Kind[[]Review]
	ordersByID     *entitycache.Kind[Order]
	ordersByBuyer  *entitycache.Kind[[]Order]
	usersPage      *entitycache.Kind[Page[User]]
	productsPage   *entitycache.Kind[Page[Product]]
	topProducts    *entitycache.Kind[[]Product]
	shared         *entitycache.Shared // the second level of every kind; nil without
}

// newCaches builds the entity cache of every kind from cfg and the schema's hints.
// timeout(upstream) bounds each kind's background refreshes: its upstream's call timeout.
func newCaches(cfg CacheConfig, hints map[string]Hint, caller entitycache.CallerFunc, timeout func(upstream string) time.Duration) (*caches, error) {
	c := &caches{}
	var errs []error
	upstreamOf := map[string]string{KindUsersByID: "accounts", KindUsersPage: "accounts", KindProductsByUPC: "products",
		KindProductsPage: "products", KindTopProducts: "products", KindStockByUPC: "inventory",
		KindReviewsByProduct: "reviews", KindReviewsByAuthor: "reviews", KindOrdersByID: "orders", KindOrdersByBuyer: "orders"}
	pol := func(kind string) entitycache.Policy {
		p := cfg.Policy(kind, hints[kind])
		p.RefreshTimeout = timeout(upstreamOf[kind])
		return p
	}
	add := func(err error) { errs = append(errs, err) }
	var err error
	var o []entitycache.Option
	if cfg.Enabled && cfg.Store == CacheStoreRedis {
		if c.shared, err = entitycache.NewShared(cfg.Redis, nil); err != nil {
			return nil, configerr.Prefix("cache.redis", err)
		}
		o = append(o, entitycache.WithShared(c.shared))
	}
	c.users, err = entitycache.NewKind(KindUsersByID, "accounts", "GET /users", pol(KindUsersByID), caller, User.size, o...)
	add(err)
	c.products, err = entitycache.NewKind(KindProductsByUPC, "products", "GET /products", pol(KindProductsByUPC), caller, Product.size, o...)
	add(err)
	c.stock, err = entitycache.NewKind(KindStockByUPC, "inventory", inventoryGetStock, pol(KindStockByUPC), caller, Stock.size, o...)
	add(err)
	c.reviewsProduct, err = entitycache.NewKind(KindReviewsByProduct, "reviews", "GET /reviews", pol(KindReviewsByProduct), caller, sumSize[Review], o...)
	add(err)
	c.reviewsAuthor, err = entitycache.NewKind(KindReviewsByAuthor, "reviews", "GET /reviews", pol(KindReviewsByAuthor), caller, sumSize[Review], o...)
	add(err)
	c.ordersByID, err = entitycache.NewKind(KindOrdersByID, "orders", ordersGetOrders, pol(KindOrdersByID), caller, Order.size, o...)
	add(err)
	c.ordersByBuyer, err = entitycache.NewKind(KindOrdersByBuyer, "orders", ordersListByBuyers, pol(KindOrdersByBuyer), caller, sumSize[Order], o...)
	add(err)
	c.usersPage, err = entitycache.NewKind(KindUsersPage, "accounts", "GET /users", pol(KindUsersPage), caller, func(p Page[User]) int64 { return sumSize(p.Items) }, o...)
	add(err)
	c.productsPage, err = entitycache.NewKind(KindProductsPage, "products", "GET /products", pol(KindProductsPage), caller, func(p Page[Product]) int64 { return sumSize(p.Items) }, o...)
	add(err)
	c.topProducts, err = entitycache.NewKind(KindTopProducts, "products", "GET /products/top", pol(KindTopProducts), caller, sumSize[Product], o...)
	add(err)
	if err := errors.Join(errs...); err != nil {
		_ = c.close()
		return nil, err
	}
	return c, nil
}

// Purge drops cached entities: every kind when kind is "", else that kind's entries of keys (all of
// them when keys is empty). It reports an unknown kind.
func (c *Clients) Purge(ctx context.Context, kind string, keys ...string) error {
	type purger interface {
		Invalidate(context.Context, ...string)
		Purge(context.Context)
	}
	all := map[string]purger{
		KindUsersByID: c.caches.users, KindProductsByUPC: c.caches.products, KindStockByUPC: c.caches.stock,
		KindReviewsByProduct: c.caches.reviewsProduct, KindReviewsByAuthor: c.caches.reviewsAuthor,
		KindOrdersByID: c.caches.ordersByID, KindOrdersByBuyer: c.caches.ordersByBuyer,
		KindUsersPage: c.caches.usersPage, KindProductsPage: c.caches.productsPage, KindTopProducts: c.caches.topProducts,
	}
	if kind == "" {
		if c.caches.shared != nil {
			c.caches.shared.Purge(ctx) // every kind, every instance, in one pass over Redis
			return nil
		}
		for _, p := range all {
			p.Purge(ctx)
		}
		return nil
	}
	p, ok := all[kind]
	if !ok {
		return fmt.Errorf("unknown entity kind %q; want one of %s", kind, strings.Join(Kinds, ", "))
	}
	if len(keys) == 0 {
		p.Purge(ctx)
		return nil
	}
	p.Invalidate(ctx, keys...)
	return nil
}

func (c *caches) close() error {
	return errors.Join(c.users.Close(), c.products.Close(), c.stock.Close(), c.reviewsProduct.Close(),
		c.reviewsAuthor.Close(), c.ordersByID.Close(), c.ordersByBuyer.Close(), c.usersPage.Close(),
		c.productsPage.Close(), c.topProducts.Close(), c.shared.Close())
}

// Estimated sizes of cached values: their strings plus a fixed cost per struct.
func (u User) size() int64 { return int64(len(u.ID)+len(u.Username)+len(u.Name)+len(u.Email)) + 64 }

func (p Product) size() int64 { return int64(len(p.UPC)+len(p.Name)) + 48 }

func (s Stock) size() int64 { return int64(len(s.UPC)) + 40 }

func (r Review) size() int64 {
	return int64(len(r.ID)+len(r.Body)+len(r.AuthorID)+len(r.ProductUPC)) + 88
}

func (o Order) size() int64 {
	n := int64(len(o.ID)+len(o.BuyerID)+len(o.Status)+len(o.CreatedAt)) + 96
	for _, it := range o.Items {
		n += int64(len(it.UPC)) + 40
	}
	return n
}

// sumSize is the estimated size of a slice of cached values.
func sumSize[V interface{ size() int64 }](vs []V) int64 {
	n := int64(24)
	for _, v := range vs {
		n += v.size()
	}
	return n
}
