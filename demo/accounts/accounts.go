// Package accounts is the sample accounts service: a read-only REST/JSON API over the users of the
// demo data set, with single and batch look-ups and pagination. Its OpenAPI document is served at
// GET /openapi.json.
package accounts

import (
	_ "embed"
	"net/http"

	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/restkit"
)

//go:embed openapi.json
var openapiDoc []byte

// NewHandler returns the accounts service's HTTP handler over the users of ix:
//
//	GET /users?id=1&id=2   batch look-up: {"users":[...]}, known ids only, request order, no duplicates
//	GET /users?limit&offset  a page in id order: {"users":[...],"total":N}
//	GET /users?q=text&limit  search: users whose username or name contains text (any case), id order
//	GET /users/{id}          one user, or 404
//	GET /healthz, GET /openapi.json
//
// Routes are registered on an http.ServeMux, so r.Pattern names the matched route after it returns.
func NewHandler(ix *data.Index) http.Handler {
	return restkit.NewHandler(routes(&service{ix: ix}))
}

// routes lists every route the service serves; tests check the OpenAPI document against it.
func routes(s *service) []restkit.Route {
	return append([]restkit.Route{
		{Method: http.MethodGet, Path: "/users", Handler: s.listUsers},
		{Method: http.MethodGet, Path: "/users/{id}", Handler: s.getUser},
	}, restkit.CommonRoutes(openapiDoc)...)
}

// service holds the handlers' dependencies.
type service struct {
	ix *data.Index
}

// usersBody is the answer of GET /users; Total is set in page mode only.
type usersBody struct {
	Users []data.User `json:"users"`
	Total *int        `json:"total,omitempty"`
}

// listUsers serves GET /users in search mode (q present), batch mode (id params present) or page mode.
func (s *service) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("q") {
		search, err := restkit.ParseSearch(q, "id")
		if err != nil {
			restkit.WriteError(w, err)
			return
		}
		users := []data.User{}
		for _, u := range s.ix.Set.Users {
			if len(users) == search.Limit {
				break
			}
			if search.Matches(u.Username, u.Name) {
				users = append(users, u)
			}
		}
		restkit.WriteJSON(w, http.StatusOK, usersBody{Users: users})
		return
	}
	if q.Has("id") {
		if restkit.HasPageParams(q) {
			restkit.WriteError(w, restkit.InvalidArgument("id", "id cannot be combined with limit or offset"))
			return
		}
		ids, err := restkit.Keys(q, "id", restkit.MaxKeys)
		if err != nil {
			restkit.WriteError(w, err)
			return
		}
		users := make([]data.User, 0, len(ids))
		for _, id := range ids {
			if u, ok := s.ix.User(id); ok {
				users = append(users, u)
			}
		}
		restkit.WriteJSON(w, http.StatusOK, usersBody{Users: users})
		return
	}
	page, err := restkit.ParsePage(q)
	if err != nil {
		restkit.WriteError(w, err)
		return
	}
	all := s.ix.Set.Users
	from, to := page.Window(len(all))
	total := len(all)
	restkit.WriteJSON(w, http.StatusOK, usersBody{Users: append(make([]data.User, 0, to-from), all[from:to]...), Total: &total})
}

// getUser serves GET /users/{id}.
func (s *service) getUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.ix.User(r.PathValue("id"))
	if !ok {
		restkit.WriteError(w, restkit.NotFound("user not found"))
		return
	}
	restkit.WriteJSON(w, http.StatusOK, u)
}
