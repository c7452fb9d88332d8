package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/trellisgw/trellis/bench/floor"
)

// workload is the cached scenario's traffic: a fixed sequence of request bodies that wrk cycles
// through, drawn from a seeded generator so that every run (and every side) sends the same requests.
type workload struct {
	// Seed seeds the generator (PCG): the same seed and sizes give the same sequence.
	Seed uint64 `json:"seed"`
	// Requests is the length of the sequence.
	Requests int `json:"requests"`
	// Users and Products are the data set's sizes: ids 1..Users, UPCs p1..pProducts.
	Users    int `json:"users"`
	Products int `json:"products"`
	// ZipfS is the Zipf exponent (> 1) of the popularity of users and products: the larger, the more
	// skewed toward a few popular ones.
	ZipfS float64 `json:"zipf_s"`
}

// The shapes' shares of the traffic, in percent: product pages, user profiles, top products (the rest).
const (
	shareProductPage = 55
	shareUserProfile = 35
)

// topFirsts are the `first` arguments of the top products shape, drawn uniformly.
var topFirsts = []int{3, 5, 10}

// bodies returns the sequence: each request a product page of a Zipf-popular product, a profile of a
// Zipf-popular user, or the top products. Popularity ranks are mapped to ids by a seeded
// permutation, so that the popular ones are not simply the first ids.
func (w workload) bodies() ([][]byte, error) {
	if w.Requests < 1 || w.Users < 1 || w.Products < 1 || w.ZipfS <= 1 {
		return nil, fmt.Errorf("cached workload: requests, users and products must be at least 1 and the Zipf exponent above 1: %+v", w)
	}
	rng := rand.New(rand.NewPCG(w.Seed, w.Seed^0x5bd1e995))
	users, products := rng.Perm(w.Users), rng.Perm(w.Products)
	zu := rand.NewZipf(rng, w.ZipfS, 1, uint64(w.Users-1))
	zp := rand.NewZipf(rng, w.ZipfS, 1, uint64(w.Products-1))
	out := make([][]byte, 0, w.Requests)
	for range w.Requests {
		var query string
		var vars map[string]any
		switch pick := rng.IntN(100); {
		case pick < shareProductPage:
			query, vars = floor.ProductPageQuery, map[string]any{"upc": "p" + strconv.Itoa(products[zp.Uint64()]+1)}
		case pick < shareProductPage+shareUserProfile:
			query, vars = floor.UserProfileQuery, map[string]any{"id": strconv.Itoa(users[zu.Uint64()] + 1)}
		default:
			query, vars = floor.TopProductsQuery, map[string]any{"first": topFirsts[rng.IntN(len(topFirsts))]}
		}
		b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// distinct returns the bodies once each, in order of first appearance, with how often each occurs.
func distinct(bodies [][]byte) ([][]byte, []int) {
	var out [][]byte
	var counts []int
	index := map[string]int{}
	for _, b := range bodies {
		i, ok := index[string(b)]
		if !ok {
			i = len(out)
			index[string(b)] = i
			out = append(out, b)
			counts = append(counts, 0)
		}
		counts[i]++
	}
	return out, counts
}
