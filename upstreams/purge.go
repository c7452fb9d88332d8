package upstreams

import (
	"encoding/json"
	"net/http"
)

// PurgeHandler returns POST /admin/cache/purge: `?kind=<kind>&key=<key>…` drops those keys of one
// entity kind (every caller's entries for a private kind), `?kind=<kind>` the whole kind, and no
// parameters everything. It answers 200 {"purged": {"kind": …, "keys": n}}, or 400 for an unknown kind
// or keys without a kind. Guard it (internal/admintoken) before mounting it.
func (c *Clients) PurgeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		q := r.URL.Query()
		kind, keys := q.Get("kind"), q["key"]
		if kind == "" && len(keys) > 0 {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "key needs a kind"})
			return
		}
		if err := c.Purge(r.Context(), kind, keys...); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		if kind == "" {
			kind = "*"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"purged": map[string]any{"kind": kind, "keys": len(keys)}})
	})
}
