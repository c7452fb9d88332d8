// Package identity carries the verified caller of a request through its context. Authentication
// middleware (graph/auth) puts a Caller in; resolvers, authorization, cost and rate limits read it.
// Nothing here verifies anything.
package identity

import "context"

// Kind is how a caller proved who it is.
type Kind string

// The kinds of caller.
const (
	// Anonymous callers sent no credentials; FromContext returns nil for them.
	Anonymous Kind = "anonymous"
	// User callers sent a verified bearer token (JWT) with a subject.
	User Kind = "user"
	// APIKey callers are machine clients that sent a configured API key.
	APIKey Kind = "apikey"
)

// Caller is who sends the request, once authenticated. It never holds the credential itself.
type Caller struct {
	// Kind is how the caller authenticated: User or APIKey.
	Kind Kind
	// UserID is the signed-in user's id (the token's subject); empty for machine clients.
	UserID string
	// ClientID names the client application: the API key's client id, or the token's client_id/azp
	// claim when it has one.
	ClientID string
	// Scopes are the permissions granted to the caller.
	Scopes []string
	// Plan is the caller's plan name (the API key's plan, or the token's plan claim); cost and rate
	// limits price by it. Empty means the default plan.
	Plan string
}

// HasScope reports whether c holds scope. A nil Caller holds none.
func (c *Caller) HasScope(scope string) bool {
	if c == nil {
		return false
	}
	for _, s := range c.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// KindOf returns the kind of c, Anonymous for nil.
func KindOf(c *Caller) Kind {
	if c == nil {
		return Anonymous
	}
	return c.Kind
}

type ctxKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the caller in ctx, or nil for an anonymous request.
func FromContext(ctx context.Context) *Caller {
	c, _ := ctx.Value(ctxKey{}).(*Caller)
	return c
}

// App is the client application as it names itself in request headers (apollographql-client-name
// and -version, or configured ones): unverified, for usage accounting and logs, never for access
// decisions. Name and Version are bounded and sanitized by whoever puts them in (graph/usage).
type App struct {
	// Name is the application's name, "" when the request did not say.
	Name string
	// Version is the application's version, "" when the request did not say.
	Version string
}

type appKey struct{}

// NewAppContext returns ctx carrying a, which must not be modified afterwards (a pointer, so that
// putting an interned App in a context allocates nothing more).
func NewAppContext(ctx context.Context, a *App) context.Context {
	return context.WithValue(ctx, appKey{}, a)
}

// AppFromContext returns the client application in ctx, nil when none was put in.
func AppFromContext(ctx context.Context) *App {
	a, _ := ctx.Value(appKey{}).(*App)
	return a
}
