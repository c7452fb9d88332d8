package floor

import (
	"context"
	"encoding/base64"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/trellisgw/trellis/upstreams"
)

// The reference query's response, field for field in the query's order. The gateway returns an empty
// list, never null, for an object without reviews, and null for a missing product, author or stock.
type (
	referenceResponse struct {
		Data referenceData `json:"data"`
	}
	referenceData struct {
		Users       userPage      `json:"users"`
		TopProducts []productDeep `json:"topProducts"`
	}
	userPage struct {
		Nodes []userTop `json:"nodes"`
	}
	// userTop is a user of the page: its reviews lead to products with their reviews.
	userTop struct {
		ID       string             `json:"id"`
		Username string             `json:"username"`
		Name     string             `json:"name"`
		Reviews  []reviewOfProducts `json:"reviews"`
	}
	reviewOfProducts struct {
		ID      string       `json:"id"`
		Body    string       `json:"body"`
		Product *productDeep `json:"product"`
	}
	// productDeep is a product with its reviews, their authors and the authors' reviewed products.
	productDeep struct {
		productFields
		Reviews []reviewByAuthor `json:"reviews"`
	}
	reviewByAuthor struct {
		ID     string      `json:"id"`
		Body   string      `json:"body"`
		Author *userLeaves `json:"author"`
	}
	userLeaves struct {
		ID       string         `json:"id"`
		Username string         `json:"username"`
		Name     string         `json:"name"`
		Reviews  []reviewLeaves `json:"reviews"`
	}
	reviewLeaves struct {
		ID      string         `json:"id"`
		Body    string         `json:"body"`
		Product *productFields `json:"product"`
	}
	productFields struct {
		UPC              string `json:"upc"`
		Name             string `json:"name"`
		Price            int    `json:"price"`
		Weight           int    `json:"weight"`
		InStock          *bool  `json:"inStock"`
		ShippingEstimate *int   `json:"shippingEstimate"`
	}
)

// reviewsPerObject is the `first` default of Product.reviews and User.reviews.
const reviewsPerObject = 10

// branch holds what one branch of the reference query fetched, per key kind, so that a key is
// fetched once in the branch (the gateway's loaders fetch each key once per operation).
type branch struct {
	c                *upstreams.Clients
	users            map[string]*upstreams.User
	products         map[string]*upstreams.Product
	stock            map[string]*upstreams.Stock
	reviewsByAuthor  map[string][]upstreams.Review
	reviewsByProduct map[string][]upstreams.Review
}

func newBranch(c *upstreams.Clients) *branch {
	return &branch{
		c: c, users: map[string]*upstreams.User{}, products: map[string]*upstreams.Product{},
		stock: map[string]*upstreams.Stock{}, reviewsByAuthor: map[string][]upstreams.Review{},
		reviewsByProduct: map[string][]upstreams.Review{},
	}
}

// reference answers the reference query for a page of n users: both branches concurrently, as the
// gateway resolves the root fields.
func reference(ctx context.Context, c *upstreams.Clients, n int) (*referenceResponse, error) {
	var out referenceResponse
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		users, err := usersBranch(ctx, newBranch(c), n)
		out.Data.Users.Nodes = users
		return err
	})
	g.Go(func() error {
		top, err := topBranch(ctx, newBranch(c))
		out.Data.TopProducts = top
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return &out, nil
}

// usersBranch fetches `users(first: n)` level by level (accounts page; reviews by author; products;
// stock and reviews by product; users; reviews by author; products; stock) and assembles it.
func usersBranch(ctx context.Context, b *branch, n int) ([]userTop, error) {
	page, err := b.c.Accounts.ListUsers(ctx, 0, max(n, 1))
	if err != nil {
		return nil, err
	}
	users := page.Items[:min(n, len(page.Items))]
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	if err := b.fetchReviewsByAuthor(ctx, ids); err != nil {
		return nil, err
	}
	upcs := b.productsOfAuthors(ids)
	if err := b.fetchProducts(ctx, upcs); err != nil {
		return nil, err
	}
	if err := b.fetchDeepProducts(ctx, upcs); err != nil {
		return nil, err
	}
	out := make([]userTop, len(users))
	for i, u := range users {
		rs := head(b.reviewsByAuthor[u.ID])
		top := userTop{ID: globalID("User", u.ID), Username: u.Username, Name: u.Name, Reviews: make([]reviewOfProducts, len(rs))}
		for j, r := range rs {
			top.Reviews[j] = reviewOfProducts{ID: globalID("Review", r.ID), Body: r.Body, Product: b.productDeep(r.ProductUPC)}
		}
		out[i] = top
	}
	return out, nil
}

// topBranch fetches `topProducts(first: 5)` level by level (ranking; stock and reviews by product;
// users; reviews by author; products; stock) and assembles it.
func topBranch(ctx context.Context, b *branch) ([]productDeep, error) {
	top, err := b.c.Products.TopProducts(ctx, 5)
	if err != nil {
		return nil, err
	}
	upcs := make([]string, len(top))
	for i := range top {
		upcs[i] = top[i].UPC
		b.products[top[i].UPC] = &top[i]
	}
	if err := b.fetchDeepProducts(ctx, upcs); err != nil {
		return nil, err
	}
	out := make([]productDeep, 0, len(top))
	for _, p := range top {
		out = append(out, *b.productDeep(p.UPC))
	}
	return out, nil
}

// fetchDeepProducts fetches, for products whose own fields are known, the levels below them: stock and
// reviews (one level), the reviews' authors, the authors' reviews, their products, and those products'
// stock.
func (b *branch) fetchDeepProducts(ctx context.Context, upcs []string) error {
	if err := b.fetchStockAndReviews(ctx, upcs); err != nil {
		return err
	}
	var authors []string
	seen := map[string]bool{}
	for _, upc := range upcs {
		for _, r := range head(b.reviewsByProduct[upc]) {
			if !seen[r.AuthorID] {
				seen[r.AuthorID] = true
				authors = append(authors, r.AuthorID)
			}
		}
	}
	if err := b.fetchUsers(ctx, authors); err != nil {
		return err
	}
	var found []string
	for _, id := range authors {
		if b.users[id] != nil {
			found = append(found, id)
		}
	}
	if err := b.fetchReviewsByAuthor(ctx, found); err != nil {
		return err
	}
	leaves := b.productsOfAuthors(found)
	if err := b.fetchProducts(ctx, leaves); err != nil {
		return err
	}
	var known []string
	for _, upc := range leaves {
		if b.products[upc] != nil {
			known = append(known, upc)
		}
	}
	return b.fetchStock(ctx, known)
}

// fetchStockAndReviews fetches the stock and the reviews of products concurrently: one level.
func (b *branch) fetchStockAndReviews(ctx context.Context, upcs []string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.fetchStock(gctx, upcs) })
	g.Go(func() error { return b.fetchReviewsByProduct(gctx, upcs) })
	return g.Wait()
}

// productsOfAuthors returns the UPCs reviewed in the first reviews of each author, once each.
func (b *branch) productsOfAuthors(ids []string) []string {
	var upcs []string
	seen := map[string]bool{}
	for _, id := range ids {
		for _, r := range head(b.reviewsByAuthor[id]) {
			if !seen[r.ProductUPC] {
				seen[r.ProductUPC] = true
				upcs = append(upcs, r.ProductUPC)
			}
		}
	}
	return upcs
}

func (b *branch) productDeep(upc string) *productDeep {
	p := b.products[upc]
	if p == nil {
		return nil
	}
	rs := head(b.reviewsByProduct[upc])
	out := &productDeep{productFields: b.fields(p), Reviews: make([]reviewByAuthor, len(rs))}
	for i, r := range rs {
		out.Reviews[i] = reviewByAuthor{ID: globalID("Review", r.ID), Body: r.Body, Author: b.userLeaves(r.AuthorID)}
	}
	return out
}

func (b *branch) userLeaves(id string) *userLeaves {
	u := b.users[id]
	if u == nil {
		return nil
	}
	rs := head(b.reviewsByAuthor[id])
	out := &userLeaves{ID: globalID("User", u.ID), Username: u.Username, Name: u.Name, Reviews: make([]reviewLeaves, len(rs))}
	for i, r := range rs {
		out.Reviews[i] = reviewLeaves{ID: globalID("Review", r.ID), Body: r.Body}
		if p := b.products[r.ProductUPC]; p != nil {
			f := b.fields(p)
			out.Reviews[i].Product = &f
		}
	}
	return out
}

func (b *branch) fields(p *upstreams.Product) productFields {
	f := productFields{UPC: p.UPC, Name: p.Name, Price: p.Price, Weight: p.Weight}
	if s := b.stock[p.UPC]; s != nil {
		f.InStock, f.ShippingEstimate = &s.InStock, &s.ShippingEstimate
	}
	return f
}

// globalID is the gateway's global id of an object (Relay's Node ids: the raw URL base64 of
// "<Type>:<key>"), written out here as the gateway writes it: the floor prints the same bytes.
func globalID(typ, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + key))
}

func head(rs []upstreams.Review) []upstreams.Review { return rs[:min(len(rs), reviewsPerObject)] }

// missing returns the keys of want not in have, once each, in order.
func missing[V any](have map[string]V, want []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range want {
		if _, ok := have[k]; !ok && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func (b *branch) fetchUsers(ctx context.Context, ids []string) error {
	keys := missing(b.users, ids)
	if len(keys) == 0 {
		return nil
	}
	found, err := b.c.Accounts.UsersByID(ctx, keys)
	if err != nil {
		return fmt.Errorf("users by id: %w", err)
	}
	for _, k := range keys {
		b.users[k] = nil
	}
	for i := range found {
		b.users[found[i].ID] = &found[i]
	}
	return nil
}

func (b *branch) fetchProducts(ctx context.Context, upcs []string) error {
	keys := missing(b.products, upcs)
	if len(keys) == 0 {
		return nil
	}
	found, err := b.c.Products.ProductsByUPC(ctx, keys)
	if err != nil {
		return fmt.Errorf("products by upc: %w", err)
	}
	for _, k := range keys {
		b.products[k] = nil
	}
	for i := range found {
		b.products[found[i].UPC] = &found[i]
	}
	return nil
}

func (b *branch) fetchStock(ctx context.Context, upcs []string) error {
	keys := missing(b.stock, upcs)
	if len(keys) == 0 {
		return nil
	}
	found, err := b.c.Inventory.StockByUPC(ctx, keys)
	if err != nil {
		return fmt.Errorf("stock by upc: %w", err)
	}
	for _, k := range keys {
		b.stock[k] = nil
	}
	for i := range found {
		b.stock[found[i].UPC] = &found[i]
	}
	return nil
}

func (b *branch) fetchReviewsByAuthor(ctx context.Context, ids []string) error {
	keys := missing(b.reviewsByAuthor, ids)
	if len(keys) == 0 {
		return nil
	}
	found, err := b.c.Reviews.ByAuthors(ctx, keys)
	if err != nil {
		return fmt.Errorf("reviews by author: %w", err)
	}
	for _, k := range keys {
		b.reviewsByAuthor[k] = nil
	}
	for _, r := range found {
		b.reviewsByAuthor[r.AuthorID] = append(b.reviewsByAuthor[r.AuthorID], r)
	}
	return nil
}

func (b *branch) fetchReviewsByProduct(ctx context.Context, upcs []string) error {
	keys := missing(b.reviewsByProduct, upcs)
	if len(keys) == 0 {
		return nil
	}
	found, err := b.c.Reviews.ByProducts(ctx, keys)
	if err != nil {
		return fmt.Errorf("reviews by product: %w", err)
	}
	for _, k := range keys {
		b.reviewsByProduct[k] = nil
	}
	for _, r := range found {
		b.reviewsByProduct[r.ProductUPC] = append(b.reviewsByProduct[r.ProductUPC], r)
	}
	return nil
}
