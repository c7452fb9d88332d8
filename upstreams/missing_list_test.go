package upstreams_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/upstreams"
)

// TestMissingListIsEmpty: a batch look-up whose answer lacks its list field (`{}`) returns an empty
// list, not nil, and no error.
func TestMissingListIsEmpty(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	e := startEnv(t, data.Config{}, func(c *upstreams.Config) {
		for _, name := range []string{"accounts", "products", "reviews"} {
			c.EditREST(name, func(r *upstreams.RESTConfig) { r.URL = srv.URL })
		}
	})
	ctx := testCtx(t)
	c := e.clients
	tests := []struct {
		name   string
		lookup func(context.Context) (int, bool, error) // length, nil
	}{
		{"users by id", func(ctx context.Context) (int, bool, error) {
			v, err := c.Accounts.UsersByID(ctx, []string{"1"})
			return len(v), v == nil, err
		}},
		{"products by upc", func(ctx context.Context) (int, bool, error) {
			v, err := c.Products.ProductsByUPC(ctx, []string{"p1"})
			return len(v), v == nil, err
		}},
		{"reviews by id", func(ctx context.Context) (int, bool, error) {
			v, err := c.Reviews.ReviewsByID(ctx, []string{"r1"})
			return len(v), v == nil, err
		}},
		{"reviews by author", func(ctx context.Context) (int, bool, error) {
			v, err := c.Reviews.ByAuthors(ctx, []string{"1"})
			return len(v), v == nil, err
		}},
		{"reviews by product", func(ctx context.Context) (int, bool, error) {
			v, err := c.Reviews.ByProducts(ctx, []string{"p1"})
			return len(v), v == nil, err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, isNil, err := tt.lookup(ctx)
			if err != nil || n != 0 || isNil {
				t.Errorf("got %d items (nil %v), err %v; want an empty list", n, isNil, err)
			}
		})
	}
}
