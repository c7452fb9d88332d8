// Package identity carries the verified caller of a request through its context. Authentication
// middleware puts a Caller in; resolvers and upstream clients read it. Nothing here verifies anything.
package identity

import "context"

// Caller is who sends the request, once authenticated.
type Caller struct {
	// UserID is the signed-in user's id (the token's subject); empty for machine clients.
	UserID string
	// Scopes are the permissions granted to the caller.
	Scopes []string
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
