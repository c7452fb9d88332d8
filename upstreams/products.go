package upstreams

import (
	"context"
	"net/url"
	"strconv"

	"github.com/trellisgw/trellis/upstreams/rest"
)

// Products is the typed client of the products REST service.
type Products struct{ c *rest.Client }

// NewProducts wraps a REST client of the products service.
func NewProducts(c *rest.Client) *Products { return &Products{c: c} }

type productList struct {
	Products []Product `json:"products"`
	Total    int       `json:"total"`
}

// ProductsByUPC returns the products with the given UPCs; unknown UPCs are absent.
func (p *Products) ProductsByUPC(ctx context.Context, upcs []string) ([]Product, error) {
	return batched(ctx, upcs, func(ctx context.Context, chunk []string) ([]Product, error) {
		var out productList
		err := p.c.Get(ctx, "GET /products", "/products", url.Values{"upc": chunk}, &out)
		return out.Products, err
	})
}

// ListProducts returns the page of products starting at offset, at most limit long.
func (p *Products) ListProducts(ctx context.Context, offset, limit int) (Page[Product], error) {
	var out productList
	err := p.c.Get(ctx, "GET /products", "/products", pageQuery(offset, limit), &out)
	return Page[Product]{Items: out.Products, Total: out.Total}, err
}

// SearchProducts returns the products whose name contains text (any case), in the service's order, at
// most limit of them (1..100).
func (p *Products) SearchProducts(ctx context.Context, text string, limit int) ([]Product, error) {
	var out productList
	err := p.c.Get(ctx, "GET /products", "/products", searchQuery(text, limit), &out)
	return out.Products, err
}

// TopProducts returns the best-ranked products, at most limit of them.
func (p *Products) TopProducts(ctx context.Context, limit int) ([]Product, error) {
	var out productList
	err := p.c.Get(ctx, "GET /products/top", "/products/top", url.Values{"limit": {strconv.Itoa(limit)}}, &out)
	return out.Products, err
}
