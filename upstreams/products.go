package upstreams

import (
	"context"
	"net/url"
	"strconv"

	"github.com/trellisgw/trellis/upstreams/entitycache"
	"github.com/trellisgw/trellis/upstreams/rest"
)

// Products is the typed client of the products REST service.
type Products struct {
	c        *rest.Client
	products *entitycache.Kind[Product]       // nil: not cached
	page     *entitycache.Kind[Page[Product]] // nil: not cached
	top      *entitycache.Kind[[]Product]     // nil: not cached
}

// NewProducts wraps a REST client of the products service.
func NewProducts(c *rest.Client) *Products { return &Products{c: c} }

type productList struct {
	Products []Product `json:"products"`
	Total    int       `json:"total"`
}

// ProductsByUPC returns the products with the given UPCs; unknown UPCs are absent. With the entity
// cache, only the UPCs it misses are sent.
func (p *Products) ProductsByUPC(ctx context.Context, upcs []string) ([]Product, error) {
	return cachedByKey(ctx, p.products, upcs, func(p Product) string { return p.UPC }, func(ctx context.Context, upcs []string) ([]Product, error) {
		return batched(ctx, upcs, func(ctx context.Context, chunk []string) ([]Product, error) {
			out := productList{Products: make([]Product, 0, len(chunk))} // at most one per UPC: decoded without growing
			err := p.c.Get(ctx, "GET /products", "/products", url.Values{"upc": chunk}, &out)
			return out.Products, err
		})
	})
}

// ListProducts returns the page of products starting at offset, at most limit long (cached by offset
// and limit with the entity cache).
func (p *Products) ListProducts(ctx context.Context, offset, limit int) (Page[Product], error) {
	return cachedOne(ctx, p.page, pageKey(offset, limit), func(ctx context.Context) (Page[Product], error) {
		var out productList
		err := p.c.Get(ctx, "GET /products", "/products", pageQuery(offset, limit), &out)
		return Page[Product]{Items: out.Products, Total: out.Total}, err
	})
}

// SearchProducts returns the products whose name contains text (any case), in the service's order, at
// most limit of them (1..100).
func (p *Products) SearchProducts(ctx context.Context, text string, limit int) ([]Product, error) {
	var out productList
	err := p.c.Get(ctx, "GET /products", "/products", searchQuery(text, limit), &out)
	return out.Products, err
}

// TopProducts returns the best-ranked products, at most limit of them (cached by limit with the
// entity cache).
func (p *Products) TopProducts(ctx context.Context, limit int) ([]Product, error) {
	return cachedOne(ctx, p.top, strconv.Itoa(limit), func(ctx context.Context) ([]Product, error) {
		var out productList
		err := p.c.Get(ctx, "GET /products/top", "/products/top", url.Values{"limit": {strconv.Itoa(limit)}}, &out)
		return out.Products, err
	})
}
