package gateway

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/graph/cachecontrol"
	"github.com/trellisgw/trellis/graph/identity"
	"github.com/trellisgw/trellis/upstreams"
)

// kindCoordinates are the schema coordinates whose @cacheControl hints set each entity kind's TTL and
// scope: the smallest maxAge among them, private when any is.
var kindCoordinates = map[string][]string{
	upstreams.KindUsersByID:        {"User"},
	upstreams.KindProductsByUPC:    {"Product"},
	upstreams.KindStockByUPC:       {"Product.inStock", "Product.shippingEstimate"},
	upstreams.KindReviewsByProduct: {"Product.reviews"},
	upstreams.KindReviewsByAuthor:  {"User.reviews"},
	upstreams.KindOrdersByID:       {"Order", "Query.order"},
	upstreams.KindOrdersByBuyer:    {"User.orders", "Order"},
	upstreams.KindUsersPage:        {"Query.users"},
	upstreams.KindProductsPage:     {"Query.products"},
	upstreams.KindTopProducts:      {"Query.topProducts"},
}

// entityHints reads each kind's hint from the schema's hints.
func entityHints(h *cachecontrol.Hints) map[string]upstreams.Hint {
	out := make(map[string]upstreams.Hint, len(kindCoordinates))
	for kind, coords := range kindCoordinates {
		var hint upstreams.Hint
		for _, c := range coords {
			maxAge, private, ok := h.Of(c)
			hint.Private = hint.Private || private
			if ok && (hint.MaxAge == 0 || maxAge < hint.MaxAge) {
				hint.MaxAge = maxAge
			}
		}
		out[kind] = hint
	}
	return out
}

// callerKey keys the entries of private entity kinds: the signed-in user, else the API client; ""
// (not cached) for anonymous callers.
func callerKey(ctx context.Context) string {
	c := identity.FromContext(ctx)
	switch {
	case c == nil:
		return ""
	case c.UserID != "":
		return "user:" + c.UserID
	case c.ClientID != "":
		return "client:" + c.ClientID
	}
	return ""
}

// readHints reads the @cacheControl hints of schema.
func readHints(schema *ast.Schema) (*cachecontrol.Hints, error) {
	h, err := cachecontrol.Read(schema)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return h, nil
}

// responseCacheControl is graph.Deps.CacheControl over r: a signed-in caller makes caller-dependent
// answers private.
func responseCacheControl(r *cachecontrol.Responder) func(context.Context, *graphql.OperationContext) string {
	return func(ctx context.Context, oc *graphql.OperationContext) string {
		return r.Header(oc.Operation, identity.FromContext(ctx) != nil)
	}
}
