// Package reviews is the sample reviews service: a REST/JSON API over the reviews of the demo data set
// plus the reviews added at run time, with batch look-ups by product and by author and a write
// endpoint. Its OpenAPI document is served at GET /openapi.json.
package reviews

import (
	_ "embed"
	"errors"
	"net/http"

	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/restkit"
)

//go:embed openapi.json
var openapiDoc []byte

// MaxRequestBytes is the largest body POST /reviews accepts (64 KiB).
const MaxRequestBytes = 64 << 10

// NewHandler returns the reviews service's HTTP handler over s:
//
//	GET  /reviews?id=r1&id=r2                    batch look-up by id: {"reviews":[...]}, known ids only
//	GET  /reviews?product_upc=p1&product_upc=p2  reviews of those products: {"reviews":[...]}
//	GET  /reviews?author_id=1&author_id=2        reviews by those users: {"reviews":[...]}
//	POST /reviews                                 add a review: 201 with the stored review
//	GET /healthz, GET /openapi.json
//
// Several handlers may share one Store. Routes are registered on an http.ServeMux, so r.Pattern names
// the matched route after it returns.
func NewHandler(s *Store) http.Handler {
	return restkit.NewHandler(routes(&service{store: s}))
}

// routes lists every route the service serves; tests check the OpenAPI document against it.
func routes(s *service) []restkit.Route {
	return append([]restkit.Route{
		{Method: http.MethodGet, Path: "/reviews", Handler: s.listReviews},
		{Method: http.MethodPost, Path: "/reviews", Handler: s.addReview},
	}, restkit.CommonRoutes(openapiDoc)...)
}

// service holds the handlers' dependencies.
type service struct {
	store *Store
}

// reviewsBody is the answer of GET /reviews.
type reviewsBody struct {
	Reviews []data.Review `json:"reviews"`
}

// listReviews serves GET /reviews; exactly one of id, product_upc and author_id must be given.
func (s *service) listReviews(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var name string
	var lookup func([]string) []data.Review
	given := 0
	for _, m := range []struct {
		name   string
		lookup func([]string) []data.Review
	}{{"id", s.store.ByIDs}, {"product_upc", s.store.ByProducts}, {"author_id", s.store.ByAuthors}} {
		if q.Has(m.name) {
			name, lookup = m.name, m.lookup
			given++
		}
	}
	if given != 1 {
		restkit.WriteError(w, restkit.InvalidArgument("", "exactly one of id, product_upc and author_id must be given"))
		return
	}
	keys, err := restkit.Keys(q, name, restkit.MaxKeys)
	if err != nil {
		restkit.WriteError(w, err)
		return
	}
	restkit.WriteJSON(w, http.StatusOK, reviewsBody{Reviews: lookup(keys)})
}

// addReview serves POST /reviews.
func (s *service) addReview(w http.ResponseWriter, r *http.Request) {
	var in NewReview
	if apiErr := restkit.DecodeJSON(w, r, MaxRequestBytes, &in); apiErr != nil {
		restkit.WriteError(w, apiErr)
		return
	}
	rev, err := s.store.Add(in)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			restkit.WriteError(w, restkit.InvalidArgument(ve.Field, ve.Message))
			return
		}
		restkit.WriteError(w, restkit.Internal())
		return
	}
	restkit.WriteJSON(w, http.StatusCreated, rev)
}
