package floor

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/trellisgw/trellis/upstreams"
)

// The query shapes of the benchmark's cached scenario (cmd/bench draws them with Zipf-distributed
// arguments). The floor answers them uncached: every operation fetches every level from the services.
const (
	// ProductPageQuery is a product page: the product with its stock and its reviews with their
	// authors. Upstream calls: products by UPC; stock and reviews by product; users by id.
	ProductPageQuery = `query ProductPage($upc: ID!) { product(upc: $upc) { upc name price weight inStock shippingEstimate reviews { id body rating author { id username name } } } }`

	// UserProfileQuery is a user's profile: the user with their reviews and the reviewed products with
	// their stock. $id is the accounts service's own id. Upstream calls: users by id; reviews by author;
	// products by UPC; stock.
	UserProfileQuery = `query UserProfile($id: ID!) { user(id: $id) { id username name reviews { id body rating product { upc name price inStock } } } }`

	// TopProductsQuery is the top of the ranking with each product's reviews and their authors' names.
	// Upstream calls: the ranking; reviews by product; users by id.
	TopProductsQuery = `query TopProducts($first: Int!) { topProducts(first: $first) { upc name price reviews { id rating author { id name } } } }`
)

// The shapes' responses, field for field in the queries' order.
type (
	productPageResponse struct {
		Data struct {
			Product *pageProduct `json:"product"`
		} `json:"data"`
	}
	pageProduct struct {
		productFields
		Reviews []pageReview `json:"reviews"`
	}
	pageReview struct {
		ID     string    `json:"id"`
		Body   string    `json:"body"`
		Rating int       `json:"rating"`
		Author *userName `json:"author"`
	}
	userName struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
	}

	userProfileResponse struct {
		Data struct {
			User *profileUser `json:"user"`
		} `json:"data"`
	}
	profileUser struct {
		userName
		Reviews []profileReview `json:"reviews"`
	}
	profileReview struct {
		ID      string          `json:"id"`
		Body    string          `json:"body"`
		Rating  int             `json:"rating"`
		Product *profileProduct `json:"product"`
	}
	profileProduct struct {
		UPC     string `json:"upc"`
		Name    string `json:"name"`
		Price   int    `json:"price"`
		InStock *bool  `json:"inStock"`
	}

	topProductsResponse struct {
		Data struct {
			TopProducts []topProduct `json:"topProducts"`
		} `json:"data"`
	}
	topProduct struct {
		UPC     string      `json:"upc"`
		Name    string      `json:"name"`
		Price   int         `json:"price"`
		Reviews []topReview `json:"reviews"`
	}
	topReview struct {
		ID     string     `json:"id"`
		Rating int        `json:"rating"`
		Author *shortUser `json:"author"`
	}
	shortUser struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
)

func (h *Handler) productPage(ctx context.Context, vars json.RawMessage) (any, error) {
	var v struct {
		UPC string `json:"upc"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	var out productPageResponse
	b := newBranch(h.clients)
	if err := b.fetchProducts(ctx, []string{v.UPC}); err != nil {
		return nil, err
	}
	p := b.products[v.UPC]
	if p == nil {
		return &out, nil
	}
	if err := b.fetchStockAndReviews(ctx, []string{v.UPC}); err != nil {
		return nil, err
	}
	rs := head(b.reviewsByProduct[v.UPC])
	if err := b.fetchUsers(ctx, authorsOf(rs)); err != nil {
		return nil, err
	}
	page := &pageProduct{productFields: b.fields(p), Reviews: make([]pageReview, len(rs))}
	for i, r := range rs {
		page.Reviews[i] = pageReview{ID: globalID("Review", r.ID), Body: r.Body, Rating: r.Rating}
		if u := b.users[r.AuthorID]; u != nil {
			page.Reviews[i].Author = &userName{ID: globalID("User", u.ID), Username: u.Username, Name: u.Name}
		}
	}
	out.Data.Product = page
	return &out, nil
}

func (h *Handler) userProfile(ctx context.Context, vars json.RawMessage) (any, error) {
	var v struct {
		ID string `json:"id"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	var out userProfileResponse
	b := newBranch(h.clients)
	if err := b.fetchUsers(ctx, []string{v.ID}); err != nil {
		return nil, err
	}
	u := b.users[v.ID]
	if u == nil {
		return &out, nil
	}
	if err := b.fetchReviewsByAuthor(ctx, []string{v.ID}); err != nil {
		return nil, err
	}
	upcs := b.productsOfAuthors([]string{v.ID})
	if err := b.fetchProducts(ctx, upcs); err != nil {
		return nil, err
	}
	var known []string
	for _, upc := range upcs {
		if b.products[upc] != nil {
			known = append(known, upc)
		}
	}
	if err := b.fetchStock(ctx, known); err != nil {
		return nil, err
	}
	rs := head(b.reviewsByAuthor[v.ID])
	prof := &profileUser{userName: userName{ID: globalID("User", u.ID), Username: u.Username, Name: u.Name},
		Reviews: make([]profileReview, len(rs))}
	for i, r := range rs {
		prof.Reviews[i] = profileReview{ID: globalID("Review", r.ID), Body: r.Body, Rating: r.Rating}
		if p := b.products[r.ProductUPC]; p != nil {
			pp := &profileProduct{UPC: p.UPC, Name: p.Name, Price: p.Price}
			if s := b.stock[p.UPC]; s != nil {
				pp.InStock = &s.InStock
			}
			prof.Reviews[i].Product = pp
		}
	}
	out.Data.User = prof
	return &out, nil
}

func (h *Handler) topProducts(ctx context.Context, vars json.RawMessage) (any, error) {
	var v struct {
		First int `json:"first"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	if v.First < 1 || v.First > 100 {
		return nil, errors.New("first: the floor answers 1..100 only")
	}
	var out topProductsResponse
	b := newBranch(h.clients)
	top, err := b.c.Products.TopProducts(ctx, v.First)
	if err != nil {
		return nil, err
	}
	upcs := make([]string, len(top))
	for i := range top {
		upcs[i] = top[i].UPC
	}
	if err := b.fetchReviewsByProduct(ctx, upcs); err != nil {
		return nil, err
	}
	var authors []string
	for _, upc := range upcs {
		authors = append(authors, authorsOf(head(b.reviewsByProduct[upc]))...)
	}
	if err := b.fetchUsers(ctx, authors); err != nil {
		return nil, err
	}
	out.Data.TopProducts = make([]topProduct, len(top))
	for i, p := range top {
		rs := head(b.reviewsByProduct[p.UPC])
		tp := topProduct{UPC: p.UPC, Name: p.Name, Price: p.Price, Reviews: make([]topReview, len(rs))}
		for j, r := range rs {
			tp.Reviews[j] = topReview{ID: globalID("Review", r.ID), Rating: r.Rating}
			if u := b.users[r.AuthorID]; u != nil {
				tp.Reviews[j].Author = &shortUser{ID: globalID("User", u.ID), Name: u.Name}
			}
		}
		out.Data.TopProducts[i] = tp
	}
	return &out, nil
}

// authorsOf returns the authors of rs, once each, in order.
func authorsOf(rs []upstreams.Review) []string {
	var ids []string
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.AuthorID] {
			seen[r.AuthorID] = true
			ids = append(ids, r.AuthorID)
		}
	}
	return ids
}
