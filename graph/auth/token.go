package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// TokenClaims are the claims of a token minted by MintHS256.
type TokenClaims struct {
	// Subject is the user id (sub). Required.
	Subject string
	// Scopes go into the scope claim, space-separated.
	Scopes []string
	// Issuer and Audience, when set, become iss and aud.
	Issuer, Audience string
	// Plan, when set, becomes the plan claim.
	Plan string
	// TTL is how long the token is valid from Now. Required, positive.
	TTL time.Duration
	// Now is when the token is issued; zero means time.Now().
	Now time.Time
}

// MintHS256 returns a compact HS256 JWT over c signed with secret: what `gateway token` prints for
// development, and what tests sign in with.
func MintHS256(secret []byte, c TokenClaims) (string, error) {
	if c.Subject == "" {
		return "", errors.New("mint token: subject required")
	}
	if c.TTL <= 0 {
		return "", fmt.Errorf("mint token: ttl must be positive, got %s", c.TTL)
	}
	if len(secret) == 0 {
		return "", errors.New("mint token: no HS256 secret")
	}
	now := c.Now
	if now.IsZero() {
		now = time.Now()
	}
	b := jwt.NewBuilder().Subject(c.Subject).IssuedAt(now).NotBefore(now).Expiration(now.Add(c.TTL))
	if len(c.Scopes) > 0 {
		b = b.Claim("scope", strings.Join(c.Scopes, " "))
	}
	if c.Issuer != "" {
		b = b.Issuer(c.Issuer)
	}
	if c.Audience != "" {
		b = b.Audience([]string{c.Audience})
	}
	if c.Plan != "" {
		b = b.Claim("plan", c.Plan)
	}
	tok, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), secret))
	if err != nil {
		return "", fmt.Errorf("mint token: sign: %w", err)
	}
	return string(signed), nil
}
