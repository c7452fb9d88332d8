package upstreams_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/reviews"
	"github.com/trellisgw/trellis/upstreams"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

func TestUsersByID(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)
	tests := []struct {
		name    string
		ids     []string
		wantIDs []string
	}{
		{"request order", []string{"3", "1", "2"}, []string{"3", "1", "2"}},
		{"unknown ids absent", []string{"999", "5", "0", "abc"}, []string{"5"}},
		{"duplicates collapsed", []string{"7", "7", "8"}, []string{"7", "8"}},
		{"path injection ids are plain unknown ids", []string{"../admin", "1?x=2", "1&id=2", "1#x", "..", "%31", "4"}, []string{"4"}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.clients.Accounts.UsersByID(ctx, tt.ids)
			if err != nil {
				t.Fatalf("UsersByID(%q): %v", tt.ids, err)
			}
			var want []upstreams.User
			for _, id := range tt.wantIDs {
				u, _ := e.ix.User(id)
				want = append(want, upstreams.User(u))
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("UsersByID(%q) (-got +want):\n%s", tt.ids, diff)
			}
		})
	}
}

func TestListUsers(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)
	tests := []struct {
		name             string
		offset, limit    int
		wantFrom, wantTo int // indexes into the data set's users
	}{
		{"first page", 0, 10, 0, 10},
		{"middle page", 10, 5, 10, 15},
		{"last partial page", 97, 10, 97, 100},
		{"past the end", 200, 10, 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.clients.Accounts.ListUsers(ctx, tt.offset, tt.limit)
			if err != nil {
				t.Fatalf("ListUsers(%d, %d): %v", tt.offset, tt.limit, err)
			}
			want := upstreams.Page[upstreams.User]{Items: []upstreams.User{}, Total: len(e.ix.Set.Users)}
			for _, u := range e.ix.Set.Users[tt.wantFrom:tt.wantTo] {
				want.Items = append(want.Items, upstreams.User(u))
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("ListUsers(%d, %d) (-got +want):\n%s", tt.offset, tt.limit, diff)
			}
		})
	}

	_, err := e.clients.Accounts.ListUsers(ctx, 0, 0)
	wantBadInput(t, err, "limit")
	_, err = e.clients.Accounts.ListUsers(ctx, -1, 10)
	wantBadInput(t, err, "offset")
}

func TestProducts(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)

	got, err := e.clients.Products.ProductsByUPC(ctx, []string{"p2", "nope", "p1", "../p1", "p2"})
	if err != nil {
		t.Fatalf("ProductsByUPC: %v", err)
	}
	if diff := cmp.Diff(got, products(e.ix, "p2", "p1")); diff != "" {
		t.Errorf("ProductsByUPC (-got +want):\n%s", diff)
	}

	top, err := e.clients.Products.TopProducts(ctx, 3)
	if err != nil {
		t.Fatalf("TopProducts: %v", err)
	}
	if diff := cmp.Diff(top, products(e.ix, e.ix.Set.Top[:3]...)); diff != "" {
		t.Errorf("TopProducts(3) (-got +want):\n%s", diff)
	}
	_, err = e.clients.Products.TopProducts(ctx, 0)
	wantBadInput(t, err, "limit")

	page, err := e.clients.Products.ListProducts(ctx, 5, 2)
	if err != nil {
		t.Fatalf("ListProducts: %v", err)
	}
	want := upstreams.Page[upstreams.Product]{
		Items: products(e.ix, e.ix.Set.Products[5].UPC, e.ix.Set.Products[6].UPC),
		Total: len(e.ix.Set.Products),
	}
	if diff := cmp.Diff(page, want); diff != "" {
		t.Errorf("ListProducts(5, 2) (-got +want):\n%s", diff)
	}
}

func TestReviews(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)
	store := reviews.NewStore(e.ix) // the service's own store over the same data: the expected answers

	byProducts, err := e.clients.Reviews.ByProducts(ctx, []string{"p3", "p1", "nope"})
	if err != nil {
		t.Fatalf("ByProducts: %v", err)
	}
	if diff := cmp.Diff(byProducts, toReviews(store.ByProducts([]string{"p3", "p1"}))); diff != "" {
		t.Errorf("ByProducts (-got +want):\n%s", diff)
	}
	if len(byProducts) == 0 {
		t.Fatal("ByProducts found no reviews: the data set changed, pick other products")
	}
	byAuthors, err := e.clients.Reviews.ByAuthors(ctx, []string{"2", "../1", "1"})
	if err != nil {
		t.Fatalf("ByAuthors: %v", err)
	}
	if diff := cmp.Diff(byAuthors, toReviews(store.ByAuthors([]string{"2", "1"}))); diff != "" {
		t.Errorf("ByAuthors (-got +want):\n%s", diff)
	}

	in := upstreams.NewReview{ProductUPC: "p1", AuthorID: "2", Body: "Great & cheap?", Rating: 5}
	added, err := e.clients.Reviews.Add(ctx, in)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if added.ID == "" || added.Body != in.Body || added.Rating != 5 || added.AuthorID != "2" || added.ProductUPC != "p1" {
		t.Errorf("Add returned %+v for %+v", added, in)
	}
	after, err := e.clients.Reviews.ByProducts(ctx, []string{"p1"})
	if err != nil {
		t.Fatalf("ByProducts after Add: %v", err)
	}
	if !slices.Contains(after, added) {
		t.Errorf("ByProducts after Add = %+v, want it to hold %+v", after, added)
	}

	tests := []struct {
		name      string
		in        upstreams.NewReview
		wantField string
	}{
		{"rating too high", upstreams.NewReview{ProductUPC: "p1", AuthorID: "2", Body: "x", Rating: 6}, "rating"},
		{"rating zero", upstreams.NewReview{ProductUPC: "p1", AuthorID: "2", Body: "x"}, "rating"},
		{"empty body", upstreams.NewReview{ProductUPC: "p1", AuthorID: "2", Rating: 3}, "body"},
		{"unknown product", upstreams.NewReview{ProductUPC: "../p1", AuthorID: "2", Body: "x", Rating: 3}, "product_upc"},
		{"unknown author", upstreams.NewReview{ProductUPC: "p1", AuthorID: "nobody", Body: "x", Rating: 3}, "author_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.clients.Reviews.Add(ctx, tt.in)
			ue := wantBadInput(t, err, tt.wantField)
			if ue != nil && tt.wantField == "rating" && ue.Message != "rating must be between 1 and 5" {
				t.Errorf("Message = %q, want the service's message", ue.Message)
			}
		})
	}
}

// TestRESTFaults checks the codes the typed clients fail with when a REST service misbehaves.
func TestRESTFaults(t *testing.T) {
	e := startEnv(t, data.Config{}, func(c *upstreams.Config) {
		c.EditREST("reviews", func(r *upstreams.RESTConfig) { r.Timeout = 50 * time.Millisecond })
	})
	ctx := testCtx(t)

	if err := e.cluster.SetFault(demo.Products, 0, faultErrors()); err != nil {
		t.Fatal(err)
	}
	_, err := e.clients.Products.ProductsByUPC(ctx, []string{"p1"})
	wantCode(t, err, upstreamerr.Unavailable, "products")

	if err := e.cluster.SetFault(demo.Reviews, 0, faultLatency()); err != nil {
		t.Fatal(err)
	}
	_, err = e.clients.Reviews.ByProducts(ctx, []string{"p1"})
	wantCode(t, err, upstreamerr.Timeout, "reviews")

	if err := e.cluster.SetFault(demo.Accounts, 0, faultDown()); err != nil {
		t.Fatal(err)
	}
	_, err = e.clients.Accounts.UsersByID(ctx, []string{"1"})
	wantCode(t, err, upstreamerr.Unavailable, "accounts")
}

func products(ix *data.Index, upcs ...string) []upstreams.Product {
	out := make([]upstreams.Product, 0, len(upcs))
	for _, upc := range upcs {
		p, _ := ix.Product(upc)
		out = append(out, upstreams.Product(p))
	}
	return out
}

func toReviews(in []data.Review) []upstreams.Review {
	out := make([]upstreams.Review, len(in))
	for i, r := range in {
		out[i] = upstreams.Review(r)
	}
	return out
}

// wantBadInput checks that err is a BAD_USER_INPUT naming field, and returns it.
func wantBadInput(t *testing.T, err error, field string) *upstreamerr.Error {
	t.Helper()
	var ue *upstreamerr.Error
	if !errors.As(err, &ue) {
		t.Errorf("error %v (%T), want an *upstreamerr.Error", err, err)
		return nil
	}
	if ue.Code != upstreamerr.BadInput || ue.Message == "" || ue.Field != field {
		t.Errorf("code, message, field = %q, %q, %q; want %q, a message, %q", ue.Code, ue.Message, ue.Field, upstreamerr.BadInput, field)
	}
	return ue
}

// wantCode checks that err is an *upstreamerr.Error with code, from upstream.
func wantCode(t *testing.T, err error, code upstreamerr.Code, upstream string) {
	t.Helper()
	var ue *upstreamerr.Error
	if !errors.As(err, &ue) {
		t.Errorf("error %v (%T), want an *upstreamerr.Error", err, err)
		return
	}
	if ue.Code != code || ue.Upstream != upstream || !strings.Contains(ue.Error(), upstream) {
		t.Errorf("error %v: code %q from %q, want %q from %q", err, ue.Code, ue.Upstream, code, upstream)
	}
}
