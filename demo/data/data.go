// Package data generates the sample shop's data set deterministically from a seed, so that the sample
// services, the tests and the benchmarks agree on every answer without sharing any state.
package data

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config sizes the data set. The zero value of a field means its default (see DefaultConfig).
type Config struct {
	// Seed drives every random choice; the same Config always yields the same Set. Default 1.
	Seed uint64
	// Users is the number of users, ids "1".."Users". Default 100.
	Users int
	// Products is the number of products, UPCs "p1".."pProducts". Default 50.
	Products int
	// ReviewsPerUser is how many reviews each user wrote. Default 3.
	ReviewsPerUser int
	// OrdersPerUser is how many orders each user placed. Default 2.
	OrdersPerUser int
	// TopProducts is the length of the "top" ranking. Default 20.
	TopProducts int
}

// DefaultConfig returns the data set used by `make run` and most tests.
func DefaultConfig() Config {
	return Config{Seed: 1, Users: 100, Products: 50, ReviewsPerUser: 3, OrdersPerUser: 2, TopProducts: 20}
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Seed == 0 {
		c.Seed = d.Seed
	}
	if c.Users <= 0 {
		c.Users = d.Users
	}
	if c.Products <= 0 {
		c.Products = d.Products
	}
	if c.ReviewsPerUser <= 0 {
		c.ReviewsPerUser = d.ReviewsPerUser
	}
	if c.OrdersPerUser <= 0 {
		c.OrdersPerUser = d.OrdersPerUser
	}
	if c.TopProducts <= 0 {
		c.TopProducts = d.TopProducts
	}
	c.TopProducts = min(c.TopProducts, c.Products)
	return c
}

// User is an account of the shop.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Email    string `json:"email"`
}

// Product is an item for sale. Price is in cents, Weight in grams.
type Product struct {
	UPC    string `json:"upc"`
	Name   string `json:"name"`
	Price  int    `json:"price"`
	Weight int    `json:"weight"`
}

// Review is one user's opinion of one product. Rating is 1..5.
type Review struct {
	ID         string `json:"id"`
	Body       string `json:"body"`
	Rating     int    `json:"rating"`
	AuthorID   string `json:"author_id"`
	ProductUPC string `json:"product_upc"`
}

// Stock is the inventory of one product. ShippingEstimate is in cents.
type Stock struct {
	UPC              string
	InStock          bool
	Quantity         int
	ShippingEstimate int
}

// OrderItem is one line of an order. UnitPrice is in cents.
type OrderItem struct {
	UPC       string
	Quantity  int
	UnitPrice int
}

// Order statuses, as the orders service's enum names them without its prefix.
const (
	StatusPending   = "PENDING"
	StatusPaid      = "PAID"
	StatusShipped   = "SHIPPED"
	StatusDelivered = "DELIVERED"
	StatusCancelled = "CANCELLED"
)

// Order is one purchase of one buyer. Total is in cents.
type Order struct {
	ID        string
	BuyerID   string
	Items     []OrderItem
	Total     int
	Status    string
	CreatedAt time.Time
}

// Set is a whole generated data set. Slices are in id order (Top in rank order); callers must not
// modify them.
type Set struct {
	Users    []User
	Products []Product
	Reviews  []Review
	Stock    []Stock
	Orders   []Order
	// Top holds UPCs ranked by review count, then by average rating, then by UPC.
	Top []string
}

var (
	firstNames = []string{"Ada", "Alan", "Barbara", "Claude", "Donald", "Edsger", "Frances", "Grace", "Hedy", "Ivan",
		"John", "Katherine", "Leslie", "Margaret", "Niklaus", "Ole", "Radia", "Shafi", "Tim", "Whitfield"}
	lastNames = []string{"Lovelace", "Turing", "Liskov", "Shannon", "Knuth", "Dijkstra", "Allen", "Hopper", "Lamarr",
		"Sutherland", "McCarthy", "Johnson", "Lamport", "Hamilton", "Wirth", "Dahl", "Perlman", "Goldwasser",
		"Berners-Lee", "Diffie"}
	adjectives = []string{"Sturdy", "Compact", "Deluxe", "Classic", "Portable", "Silent", "Smart", "Vintage",
		"Rugged", "Elegant", "Tiny", "Grand"}
	nouns = []string{"Table", "Chair", "Lamp", "Kettle", "Backpack", "Keyboard", "Teapot", "Bicycle", "Blender",
		"Notebook", "Umbrella", "Clock", "Speaker", "Mug", "Tent"}
	opinions = []string{"Works as described.", "Would buy again.", "Not worth the price.", "Arrived late but fine.",
		"Better than expected!", "Broke after a week.", "My kids love it.", "Solid build quality.",
		"Too heavy for me.", "Five stars, no notes."}
	statuses = []string{StatusPending, StatusPaid, StatusShipped, StatusDelivered, StatusCancelled}
	// epoch is when the shop opened; order times are offsets from it.
	epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// Generate builds the data set described by cfg (zero fields take their defaults).
func Generate(cfg Config) *Set {
	cfg = cfg.WithDefaults()
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	s := &Set{}

	for i := 1; i <= cfg.Users; i++ {
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		username := strings.ToLower(first) + strconv.Itoa(i)
		s.Users = append(s.Users, User{
			ID:       strconv.Itoa(i),
			Username: username,
			Name:     first + " " + last,
			Email:    username + "@example.com",
		})
	}
	for i := 1; i <= cfg.Products; i++ {
		s.Products = append(s.Products, Product{
			UPC:    "p" + strconv.Itoa(i),
			Name:   adjectives[rng.IntN(len(adjectives))] + " " + nouns[rng.IntN(len(nouns))],
			Price:  100 + rng.IntN(20000),
			Weight: 50 + rng.IntN(5000),
		})
	}
	for _, p := range s.Products {
		qty := rng.IntN(100)
		if rng.IntN(5) == 0 {
			qty = 0
		}
		est := p.Weight / 2
		if p.Price >= 10000 {
			est = 0
		}
		s.Stock = append(s.Stock, Stock{UPC: p.UPC, InStock: qty > 0, Quantity: qty, ShippingEstimate: est})
	}
	n := 0
	for _, u := range s.Users {
		for range cfg.ReviewsPerUser {
			n++
			p := s.Products[rng.IntN(len(s.Products))]
			s.Reviews = append(s.Reviews, Review{
				ID:         "r" + strconv.Itoa(n),
				Body:       fmt.Sprintf("%s %s", p.Name, opinions[rng.IntN(len(opinions))]),
				Rating:     1 + rng.IntN(5),
				AuthorID:   u.ID,
				ProductUPC: p.UPC,
			})
		}
	}
	n = 0
	for _, u := range s.Users {
		for range cfg.OrdersPerUser {
			n++
			o := Order{
				ID:        "o" + strconv.Itoa(n),
				BuyerID:   u.ID,
				Status:    statuses[rng.IntN(len(statuses))],
				CreatedAt: epoch.Add(time.Duration(rng.IntN(300*24*60)) * time.Minute),
			}
			for range 1 + rng.IntN(3) {
				p := s.Products[rng.IntN(len(s.Products))]
				it := OrderItem{UPC: p.UPC, Quantity: 1 + rng.IntN(3), UnitPrice: p.Price}
				o.Items = append(o.Items, it)
				o.Total += it.Quantity * it.UnitPrice
			}
			s.Orders = append(s.Orders, o)
		}
	}
	s.Top = rankTop(s, cfg.TopProducts)
	return s
}

// rankTop orders products by review count, then average rating, then UPC, and keeps the first n.
func rankTop(s *Set, n int) []string {
	type score struct{ count, sum int }
	scores := make(map[string]score, len(s.Products))
	for _, r := range s.Reviews {
		sc := scores[r.ProductUPC]
		sc.count++
		sc.sum += r.Rating
		scores[r.ProductUPC] = sc
	}
	upcs := make([]string, len(s.Products))
	for i, p := range s.Products {
		upcs[i] = p.UPC
	}
	sort.SliceStable(upcs, func(i, j int) bool {
		a, b := scores[upcs[i]], scores[upcs[j]]
		if a.count != b.count {
			return a.count > b.count
		}
		// Compare averages without division: a.sum/a.count > b.sum/b.count.
		if a.sum*b.count != b.sum*a.count {
			return a.sum*b.count > b.sum*a.count
		}
		return upcs[i] < upcs[j]
	})
	return upcs[:n]
}
