package reviews

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/trellisgw/trellis/demo/data"
)

// Limits of a new review.
const (
	// MaxBodyChars is the longest review body, in characters (Unicode code points) after trimming.
	MaxBodyChars = 1000
	// MinRating and MaxRating bound a review's rating.
	MinRating, MaxRating = 1, 5
)

// NewReview is the input of Store.Add, and the JSON body of POST /reviews.
type NewReview struct {
	ProductUPC string `json:"product_upc"`
	AuthorID   string `json:"author_id"`
	Body       string `json:"body"`
	Rating     int    `json:"rating"`
}

// ValidationError says which field of a NewReview is invalid and why. Its message is short, user-facing
// and does not repeat the input.
type ValidationError struct {
	// Field is the JSON name of the invalid field.
	Field string
	// Message explains the problem.
	Message string
}

// Error implements error.
func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Store holds the seeded reviews of a data set plus the reviews added at run time. It is safe for
// concurrent use; all replicas of the reviews service in one process share one Store, so a review
// written through one replica is read through any other.
type Store struct {
	ix *data.Index

	mu sync.RWMutex
	// reviews holds every review in insertion order, the seeded ones first in id order. Guarded by mu.
	reviews []data.Review
	// byProduct and byAuthor map a key to ascending indexes into reviews. Guarded by mu.
	byProduct map[string][]int
	byAuthor  map[string][]int
	byID      map[string]int // review id → index into reviews. Guarded by mu.
	modified  time.Time      // when reviews last changed (the store's creation, then each Add). Guarded by mu.
}

// NewStore returns a Store seeded with the reviews of ix's data set. ix is used read-only to check
// that new reviews name a known product and author.
func NewStore(ix *data.Index) *Store {
	s := &Store{
		ix:        ix,
		reviews:   slices.Clone(ix.Set.Reviews),
		byProduct: make(map[string][]int),
		byAuthor:  make(map[string][]int),
		byID:      make(map[string]int),
		modified:  time.Now(),
	}
	for i, r := range s.reviews {
		s.byID[r.ID] = i
		s.byProduct[r.ProductUPC] = append(s.byProduct[r.ProductUPC], i)
		s.byAuthor[r.AuthorID] = append(s.byAuthor[r.AuthorID], i)
	}
	return s
}

// ByIDs returns the reviews with the given ids, in request order, each once; unknown ids are absent.
// The result is never nil.
func (s *Store) ByIDs(ids []string) []data.Review {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]data.Review, 0, len(ids))
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		if i, ok := s.byID[id]; ok {
			out = append(out, s.reviews[i])
		}
	}
	return out
}

// ByProducts returns the reviews of the given products, in insertion order. Unknown UPCs contribute
// nothing; the result is never nil.
func (s *Store) ByProducts(upcs []string) []data.Review {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.collect(s.byProduct, upcs)
}

// ByAuthors returns the reviews written by the given users, in insertion order. Unknown ids contribute
// nothing; the result is never nil.
func (s *Store) ByAuthors(ids []string) []data.Review {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.collect(s.byAuthor, ids)
}

// collect gathers the reviews indexed under keys, each once, in insertion order. s.mu must be held.
func (s *Store) collect(index map[string][]int, keys []string) []data.Review {
	seen := make(map[string]struct{}, len(keys))
	n := 0
	for _, k := range keys {
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			n += len(index[k])
		}
	}
	idx := make([]int, 0, n) // sized once: appending per key grew it several times per listing
	for _, k := range keys {
		if _, first := seen[k]; first {
			delete(seen, k)
			idx = append(idx, index[k]...)
		}
	}
	// Every review has one product and one author, so distinct keys never share an index.
	slices.Sort(idx)
	out := make([]data.Review, len(idx))
	for i, j := range idx {
		out[i] = s.reviews[j]
	}
	return out
}

// Add validates in and stores it as a new review with the next id ("r<N>", continuing after the
// seeded reviews). The body is stored trimmed. An invalid review is not stored and the error is a
// *ValidationError naming the first invalid field, checked in the order body, rating, product_upc,
// author_id.
func (s *Store) Add(in NewReview) (data.Review, error) {
	if err := s.validate(&in); err != nil {
		return data.Review{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.reviews)
	r := data.Review{
		ID:         "r" + strconv.Itoa(i+1),
		Body:       in.Body,
		Rating:     in.Rating,
		AuthorID:   in.AuthorID,
		ProductUPC: in.ProductUPC,
	}
	s.reviews = append(s.reviews, r)
	s.byProduct[r.ProductUPC] = append(s.byProduct[r.ProductUPC], i)
	s.byAuthor[r.AuthorID] = append(s.byAuthor[r.AuthorID], i)
	s.byID[r.ID] = i
	s.modified = time.Now()
	return r, nil
}

// LastModified returns when the reviews last changed: no answer of the store holds anything newer,
// so it is a correct (if coarse) Last-Modified for every look-up.
func (s *Store) LastModified() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.modified
}

// Len returns the number of reviews held, seeded and added.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.reviews)
}

// validate checks in and trims its body in place.
func (s *Store) validate(in *NewReview) error {
	in.Body = strings.TrimSpace(in.Body)
	switch {
	case in.Body == "":
		return &ValidationError{Field: "body", Message: "body must not be empty"}
	case utf8.RuneCountInString(in.Body) > MaxBodyChars:
		return &ValidationError{Field: "body", Message: fmt.Sprintf("body must be at most %d characters", MaxBodyChars)}
	case in.Rating < MinRating || in.Rating > MaxRating:
		return &ValidationError{Field: "rating",
			Message: fmt.Sprintf("rating must be between %d and %d", MinRating, MaxRating)}
	case in.ProductUPC == "":
		return &ValidationError{Field: "product_upc", Message: "product_upc must not be empty"}
	case !s.knownProduct(in.ProductUPC):
		return &ValidationError{Field: "product_upc", Message: "product_upc is not a known product"}
	case in.AuthorID == "":
		return &ValidationError{Field: "author_id", Message: "author_id must not be empty"}
	case !s.knownUser(in.AuthorID):
		return &ValidationError{Field: "author_id", Message: "author_id is not a known user"}
	}
	return nil
}

func (s *Store) knownProduct(upc string) bool { _, ok := s.ix.Product(upc); return ok }

func (s *Store) knownUser(id string) bool { _, ok := s.ix.User(id); return ok }
