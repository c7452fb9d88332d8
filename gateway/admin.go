package gateway

import (
	"net/http"

	"github.com/trellisgw/trellis/graph"
	"github.com/trellisgw/trellis/graph/ratelimit"
	"github.com/trellisgw/trellis/graph/usage"
	"github.com/trellisgw/trellis/internal/admintoken"
	"github.com/trellisgw/trellis/telemetry"
	"github.com/trellisgw/trellis/upstreams"
)

// route is one endpoint: a net/http ServeMux pattern and its handler.
type route struct {
	pattern string
	handler http.Handler
}

// adminRoutes is the one route table of the admin surface: every endpoint for operators, served on
// server.admin_addr (or on the main listener with server.admin_on_main_listener). Every /admin/
// endpoint is behind the one token, server.admin_token (Authorization: Bearer, internal/admintoken);
// without it they exist in development mode only (ModeSettings.OpenAdminEndpoints), so that a
// production gateway never serves them open.
//
//	GET /metrics                     Prometheus exposition (when the process installed the SDK: WithMetricsHandler)
//	GET /admin/usage                 rate-limit metering per period
//	GET /admin/schema/usage          field usage per client app/version (with schema_usage on)
//	GET /admin/schema/deprecations   who uses each deprecated element (likewise)
//	GET /admin/operations            per-operation analytics (with telemetry)
//	POST /admin/cache/purge          drops cached entities
func adminRoutes(cfg Config, metrics http.Handler, limiter *ratelimit.Limiter, tel *telemetry.Telemetry, u *usage.Usage, clients *upstreams.Clients) []route {
	var routes []route
	if metrics != nil {
		routes = append(routes, route{"GET /metrics", metrics})
	}
	token := string(cfg.Server.AdminToken)
	if token == "" && !cfg.Mode().OpenAdminEndpoints {
		return routes
	}
	admin := []route{{"GET /admin/usage", limiter.UsageHandler()}, {"POST /admin/cache/purge", clients.PurgeHandler()}}
	if u != nil {
		admin = append(admin, route{"GET /admin/schema/usage", u.UsageHandler()},
			route{"GET /admin/schema/deprecations", u.DeprecationsHandler()})
	}
	if tel != nil {
		admin = append(admin, route{"GET /admin/operations", tel.OperationsHandler()})
	}
	for _, r := range admin {
		routes = append(routes, route{r.pattern, admintoken.Require(token, r.handler)})
	}
	return routes
}

// mount registers routes on a new mux, with fallback (nil: 404) for every other path.
func mount(routes []route, fallback http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	if fallback != nil {
		mux.Handle("/", fallback)
	}
	for _, r := range routes {
		mux.Handle(r.pattern, r.handler)
	}
	return mux
}

// AdminHandler returns the admin surface (see adminRoutes), for the listener on server.admin_addr.
// With server.admin_on_main_listener the same routes are on Handler too.
func (g *Gateway) AdminHandler() http.Handler { return g.admin }

// adminSurface is the handler of the admin listener: the routes, security headers, nothing else.
func adminSurface(routes []route) http.Handler { return graph.SecurityHeaders(mount(routes, nil)) }
