package usage

import (
	"context"
	"net/http"

	"github.com/trellisgw/trellis/graph/identity"
	"github.com/trellisgw/trellis/internal/boundedset"
)

// maxClientLen bounds a client name or version; longer ones count as "other", as long operation names do.
const maxClientLen = 100

// ClientOther is the name of clients beyond the bound, or with names that are not kept as sent.
const ClientOther = "other"

// clients reads and bounds the client application of requests.
type clients struct {
	nameHeaders, versionHeaders []string
	set                         *boundedset.Set[identity.App, *identity.App]
	other                       *identity.App
	none                        *identity.App
}

func newClients(cfg Config) *clients {
	other := &identity.App{Name: ClientOther}
	return &clients{
		nameHeaders: canonical(cfg.ClientNameHeaders), versionHeaders: canonical(cfg.ClientVersionHeaders),
		set:   boundedset.New(cfg.MaxClients, other, func(a identity.App) *identity.App { return &a }),
		other: other, none: &identity.App{},
	}
}

// app returns the request's client application, bounded: a name or version that is too long or has
// characters outside printable ASCII (no spaces) makes it "other"; past max_clients pairs, new pairs
// are "other". A request naming no client is {"" ""}. The result is shared: do not modify it.
func (c *clients) app(h http.Header) *identity.App {
	name, version := first(h, c.nameHeaders), first(h, c.versionHeaders)
	if name == "" && version == "" {
		return c.none
	}
	if !clean(name) || !clean(version) || name == ClientOther {
		return c.other
	}
	return c.set.Get(identity.App{Name: name, Version: version})
}

// canonical returns the header names in canonical form, so that first can index the header map
// without canonicalizing (and allocating) per request.
func canonical(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}

// first returns the first non-empty value of the headers names (canonical), or "".
func first(h http.Header, names []string) string {
	for _, n := range names {
		if v := h[n]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// clean reports whether s may be kept as a label value: at most maxClientLen bytes of printable
// ASCII without spaces.
func clean(s string) bool {
	if len(s) > maxClientLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// WithApp returns ctx carrying the request's client application (identity.App), for usage
// accounting and the access log; the handler calls it as it derives the context operations run in
// (graph.Deps.RequestContext), so that it costs no copy of the request.
func (u *Usage) WithApp(ctx context.Context, _ http.ResponseWriter, r *http.Request) context.Context {
	return identity.NewAppContext(ctx, u.clients.app(r.Header))
}
