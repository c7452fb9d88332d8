package ratelimit

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/trellisgw/trellis/graph/identity"
)

// request is what ClientInfo learns of an HTTP request for the limiter.
type request struct {
	header http.Header // the response's header map
	peer   string      // the client's IP address
}

type requestKey struct{}

// ClientInfo returns the function that puts the response's header map and the client's IP address
// in a request's context, for the cost extension to read; the handler calls it as it derives the
// context operations run in (graph.Deps.RequestContext), so that it costs no copy of the request.
// trustedProxies are the proxies whose X-Forwarded-For is believed (Config.TrustedProxies).
func ClientInfo(trustedProxies []string) (func(context.Context, http.ResponseWriter, *http.Request) context.Context, error) {
	trusted, err := parsePrefixes(trustedProxies)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request) context.Context {
		return context.WithValue(ctx, requestKey{}, &request{header: w.Header(), peer: clientIP(r, trusted)})
	}, nil
}

// ResponseHeader returns the header map of the HTTP response being built for the request in ctx, or
// nil without ClientInfo. Set fields before the body is written.
func ResponseHeader(ctx context.Context) http.Header {
	if rq, _ := ctx.Value(requestKey{}).(*request); rq != nil {
		return rq.header
	}
	return nil
}

// clientIP returns the request's client address: the TCP peer, or, when the peer is a trusted proxy,
// the rightmost X-Forwarded-For entry that is not one (the leftmost when all are).
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed entry: nothing left of it can be believed
		}
		client = a.Unmap()
		if !isTrusted(client, trusted) {
			break
		}
	}
	return client.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Client is who an operation is charged to.
type Client struct {
	// Key identifies the bucket: "key:<client id>" for API-key clients, "user:<id>" for signed-in
	// users, "ip:<address>" for anonymous callers.
	Key string
	// Kind is "apikey", "user" or "ip": bounded, safe as a metric attribute.
	Kind string
	// ClientID is the API key's client id (empty for other kinds): bounded by the configured keys, so
	// it may label metrics; user ids and addresses never do.
	ClientID string
	// PlanName names Plan.
	PlanName string
	// Plan is the client's budget.
	Plan Plan
}

// identify returns the client of the request in ctx: the API-key client, else the signed-in user,
// else the IP address. A caller's own plan (identity.Caller.Plan) applies when the config has it;
// otherwise signed-in callers get DefaultPlan and anonymous ones AnonymousPlan.
func (l *Limiter) identify(ctx context.Context) Client {
	c := identity.FromContext(ctx)
	switch {
	case c != nil && c.Kind == identity.APIKey && c.ClientID != "":
		return l.withPlan(Client{Key: "key:" + c.ClientID, Kind: "apikey", ClientID: c.ClientID}, c.Plan)
	case c != nil && c.UserID != "":
		return l.withPlan(Client{Key: "user:" + c.UserID, Kind: "user"}, c.Plan)
	}
	ip := "unknown"
	if rq, _ := ctx.Value(requestKey{}).(*request); rq != nil && rq.peer != "" {
		ip = rq.peer
	}
	return Client{Key: "ip:" + ip, Kind: "ip", PlanName: l.cfg.AnonymousPlan, Plan: l.cfg.Plans[l.cfg.AnonymousPlan]}
}

// withPlan gives c the plan called name, or DefaultPlan when the config has no such plan.
func (l *Limiter) withPlan(c Client, name string) Client {
	p, ok := l.cfg.Plans[name]
	if !ok {
		name, p = l.cfg.DefaultPlan, l.cfg.Plans[l.cfg.DefaultPlan]
	}
	c.PlanName, c.Plan = name, p
	return c
}
