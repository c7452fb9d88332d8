// Package products is the sample products service: a read-only REST/JSON API over the products of the
// demo data set, with single and batch look-ups, pagination and the "top" ranking. Its OpenAPI document
// is served at GET /openapi.json.
package products

import (
	_ "embed"
	"net/http"

	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/restkit"
)

//go:embed openapi.json
var openapiDoc []byte

// Limits of GET /products/top.
const (
	// DefaultTopLimit is the number of top products returned when limit is absent.
	DefaultTopLimit = 5
	// MaxTopLimit is the largest limit GET /products/top accepts.
	MaxTopLimit = 100
)

// NewHandler returns the products service's HTTP handler over the products of ix:
//
//	GET /products?upc=p1&upc=p2    batch look-up: {"products":[...]}, known UPCs only, request order
//	GET /products?limit&offset     a page in UPC order of the data set: {"products":[...],"total":N}
//	GET /products?q=text&limit     search: products whose name contains text (any case), data set order
//	GET /products/top?limit=5      the first limit products of the ranking: {"products":[...]}
//	GET /products/{upc}            one product, or 404
//	GET /healthz, GET /openapi.json
//
// Routes are registered on an http.ServeMux, so r.Pattern names the matched route after it returns.
func NewHandler(ix *data.Index) http.Handler {
	return restkit.NewHandler(routes(&service{ix: ix}))
}

// routes lists every route the service serves; tests check the OpenAPI document against it.
func routes(s *service) []restkit.Route {
	return append([]restkit.Route{
		{Method: http.MethodGet, Path: "/products", Handler: s.listProducts},
		{Method: http.MethodGet, Path: "/products/top", Handler: s.topProducts},
		{Method: http.MethodGet, Path: "/products/{upc}", Handler: s.getProduct},
	}, restkit.CommonRoutes(openapiDoc)...)
}

// service holds the handlers' dependencies.
type service struct {
	ix *data.Index
}

// productsBody is the answer of GET /products and GET /products/top; Total is set in page mode only.
type productsBody struct {
	Products []data.Product `json:"products"`
	Total    *int           `json:"total,omitempty"`
}

// listProducts serves GET /products in search mode (q present), batch mode (upc params present) or
// page mode.
func (s *service) listProducts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("q") {
		search, err := restkit.ParseSearch(q, "upc")
		if err != nil {
			restkit.WriteError(w, err)
			return
		}
		products := []data.Product{}
		for _, p := range s.ix.Set.Products {
			if len(products) == search.Limit {
				break
			}
			if search.Matches(p.Name) {
				products = append(products, p)
			}
		}
		restkit.WriteJSON(w, http.StatusOK, productsBody{Products: products})
		return
	}
	if q.Has("upc") {
		if restkit.HasPageParams(q) {
			restkit.WriteError(w, restkit.InvalidArgument("upc", "upc cannot be combined with limit or offset"))
			return
		}
		upcs, err := restkit.Keys(q, "upc", restkit.MaxKeys)
		if err != nil {
			restkit.WriteError(w, err)
			return
		}
		products := make([]data.Product, 0, len(upcs))
		for _, upc := range upcs {
			if p, ok := s.ix.Product(upc); ok {
				products = append(products, p)
			}
		}
		restkit.WriteJSON(w, http.StatusOK, productsBody{Products: products})
		return
	}
	page, err := restkit.ParsePage(q)
	if err != nil {
		restkit.WriteError(w, err)
		return
	}
	all := s.ix.Set.Products
	from, to := page.Window(len(all))
	total := len(all)
	restkit.WriteJSON(w, http.StatusOK,
		productsBody{Products: append(make([]data.Product, 0, to-from), all[from:to]...), Total: &total})
}

// topProducts serves GET /products/top.
func (s *service) topProducts(w http.ResponseWriter, r *http.Request) {
	limit, err := restkit.IntParam(r.URL.Query(), "limit", DefaultTopLimit, 1, MaxTopLimit)
	if err != nil {
		restkit.WriteError(w, err)
		return
	}
	top := s.ix.Set.Top[:min(limit, len(s.ix.Set.Top))]
	products := make([]data.Product, 0, len(top))
	for _, upc := range top {
		if p, ok := s.ix.Product(upc); ok {
			products = append(products, p)
		}
	}
	restkit.WriteJSON(w, http.StatusOK, productsBody{Products: products})
}

// getProduct serves GET /products/{upc}.
func (s *service) getProduct(w http.ResponseWriter, r *http.Request) {
	p, ok := s.ix.Product(r.PathValue("upc"))
	if !ok {
		restkit.WriteError(w, restkit.NotFound("product not found"))
		return
	}
	restkit.WriteJSON(w, http.StatusOK, p)
}
