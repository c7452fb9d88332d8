package data

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := Config{Seed: 7, Users: 30, Products: 20, ReviewsPerUser: 2, OrdersPerUser: 1, TopProducts: 5}
	if diff := cmp.Diff(Generate(cfg), Generate(cfg)); diff != "" {
		t.Fatalf("same config, different data (-first +second):\n%s", diff)
	}
	other := cfg
	other.Seed = 8
	if cmp.Equal(Generate(cfg).Users, Generate(other).Users) {
		t.Fatal("another seed gave the same users")
	}
}

func TestGenerateSizesAndReferences(t *testing.T) {
	cfg := Config{Users: 40, Products: 25, ReviewsPerUser: 3, OrdersPerUser: 2, TopProducts: 10}
	s := Generate(cfg)
	ix := NewIndex(s)
	if len(s.Users) != 40 || len(s.Products) != 25 || len(s.Stock) != 25 || len(s.Reviews) != 120 || len(s.Orders) != 80 || len(s.Top) != 10 {
		t.Fatalf("sizes: %d users, %d products, %d stock, %d reviews, %d orders, %d top",
			len(s.Users), len(s.Products), len(s.Stock), len(s.Reviews), len(s.Orders), len(s.Top))
	}
	for _, r := range s.Reviews {
		if _, ok := ix.User(r.AuthorID); !ok {
			t.Errorf("review %s: unknown author %s", r.ID, r.AuthorID)
		}
		if _, ok := ix.Product(r.ProductUPC); !ok {
			t.Errorf("review %s: unknown product %s", r.ID, r.ProductUPC)
		}
		if r.Rating < 1 || r.Rating > 5 {
			t.Errorf("review %s: rating %d", r.ID, r.Rating)
		}
	}
	for _, o := range s.Orders {
		total := 0
		for _, it := range o.Items {
			p, ok := ix.Product(it.UPC)
			if !ok || it.UnitPrice != p.Price || it.Quantity < 1 {
				t.Errorf("order %s: bad item %+v", o.ID, it)
			}
			total += it.Quantity * it.UnitPrice
		}
		if total != o.Total || len(o.Items) == 0 {
			t.Errorf("order %s: total %d, items sum to %d", o.ID, o.Total, total)
		}
	}
	for _, st := range s.Stock {
		if st.InStock != (st.Quantity > 0) {
			t.Errorf("stock %+v: in_stock disagrees with quantity", st)
		}
	}
}

func TestTopIsRankedByReviewsThenRating(t *testing.T) {
	s := Generate(Config{Users: 50, Products: 30, TopProducts: 30})
	ix := NewIndex(s)
	score := func(upc string) (int, float64) {
		rs := ix.ReviewsByProduct(upc)
		sum := 0
		for _, r := range rs {
			sum += r.Rating
		}
		if len(rs) == 0 {
			return 0, 0
		}
		return len(rs), float64(sum) / float64(len(rs))
	}
	for i := 1; i < len(s.Top); i++ {
		c0, a0 := score(s.Top[i-1])
		c1, a1 := score(s.Top[i])
		if c0 < c1 || (c0 == c1 && a0 < a1) {
			t.Fatalf("top[%d]=%s (%d reviews, avg %.2f) ranked above top[%d]=%s (%d, %.2f)", i-1, s.Top[i-1], c0, a0, i, s.Top[i], c1, a1)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	got := Config{}.WithDefaults()
	if diff := cmp.Diff(DefaultConfig(), got); diff != "" {
		t.Fatalf("zero config defaults (-want +got):\n%s", diff)
	}
	if c := (Config{Products: 3, TopProducts: 10}).WithDefaults(); c.TopProducts != 3 {
		t.Fatalf("TopProducts = %d, want it capped at Products 3", c.TopProducts)
	}
}
