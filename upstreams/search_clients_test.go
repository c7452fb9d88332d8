package upstreams_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/reviews"
	"github.com/trellisgw/trellis/upstreams"
)

// TestSearch checks the search look-ups against the data set: case-insensitive substring matches, in
// the data set's order, at most limit.
func TestSearch(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)
	u0 := e.ix.Set.Users[0]
	p0 := e.ix.Set.Products[0]
	userText := strings.ToUpper(u0.Username[:3])
	productText := strings.ToUpper(strings.Fields(p0.Name)[0])

	var wantUsers []upstreams.User
	for _, u := range e.ix.Set.Users {
		if strings.Contains(strings.ToLower(u.Username), strings.ToLower(userText)) ||
			strings.Contains(strings.ToLower(u.Name), strings.ToLower(userText)) {
			wantUsers = append(wantUsers, upstreams.User(u))
		}
	}
	var wantProducts []upstreams.Product
	for _, p := range e.ix.Set.Products {
		if strings.Contains(strings.ToLower(p.Name), strings.ToLower(productText)) {
			wantProducts = append(wantProducts, upstreams.Product(p))
		}
	}
	for _, limit := range []int{1, 2, 100} {
		users, err := e.clients.Accounts.SearchUsers(ctx, userText, limit)
		if err != nil {
			t.Fatalf("SearchUsers(%q, %d): %v", userText, limit, err)
		}
		if diff := cmp.Diff(users, wantUsers[:min(limit, len(wantUsers))]); diff != "" {
			t.Errorf("SearchUsers(%q, %d) (-got +want):\n%s", userText, limit, diff)
		}
		products, err := e.clients.Products.SearchProducts(ctx, productText, limit)
		if err != nil {
			t.Fatalf("SearchProducts(%q, %d): %v", productText, limit, err)
		}
		if diff := cmp.Diff(products, wantProducts[:min(limit, len(wantProducts))]); diff != "" {
			t.Errorf("SearchProducts(%q, %d) (-got +want):\n%s", productText, limit, diff)
		}
	}
	if users, err := e.clients.Accounts.SearchUsers(ctx, "no such user anywhere", 10); err != nil || len(users) != 0 {
		t.Errorf("SearchUsers(no match) = %v, %v, want none", users, err)
	}
	for _, bad := range []struct {
		text  string
		limit int
		field string
	}{{"", 10, "q"}, {strings.Repeat("x", 101), 10, "q"}, {"a", 0, "limit"}, {"a", 101, "limit"}} {
		_, err := e.clients.Accounts.SearchUsers(ctx, bad.text, bad.limit)
		wantBadInput(t, err, bad.field)
		_, err = e.clients.Products.SearchProducts(ctx, bad.text, bad.limit)
		wantBadInput(t, err, bad.field)
	}
}

func TestReviewsByID(t *testing.T) {
	e := startEnv(t, data.Config{}, nil)
	ctx := testCtx(t)
	store := reviews.NewStore(e.ix)
	r1, r2 := e.ix.Set.Reviews[1].ID, e.ix.Set.Reviews[0].ID
	got, err := e.clients.Reviews.ReviewsByID(ctx, []string{r1, "nope", r2, "../r1", r1})
	if err != nil {
		t.Fatalf("ReviewsByID: %v", err)
	}
	if diff := cmp.Diff(got, toReviews(store.ByIDs([]string{r1, r2}))); diff != "" {
		t.Errorf("ReviewsByID (-got +want):\n%s", diff)
	}
	if len(got) != 2 || got[0].ID != r1 || got[1].ID != r2 {
		t.Errorf("ReviewsByID = %+v, want %s then %s", got, r1, r2)
	}
	if none, err := e.clients.Reviews.ReviewsByID(ctx, nil); err != nil || none != nil {
		t.Errorf("ReviewsByID(nil) = %v, %v, want no call and nothing", none, err)
	}
}
