package auth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trellisgw/trellis/internal/configerr"
	"github.com/trellisgw/trellis/internal/secret"
)

// Config is the `auth` section of the gateway's config file.
type Config struct {
	// JWT configures bearer tokens (Authorization: Bearer <JWT>).
	JWT JWTConfig `yaml:"jwt"`
	// APIKeys configures the API keys of machine clients.
	APIKeys APIKeysConfig `yaml:"api_keys"`
	// AdminScope is the scope that sees every owner-restricted field (@owner). Default "admin".
	AdminScope string `yaml:"admin_scope"`
	// Propagate says, per upstream (accounts, products, reviews, inventory, orders), which caller
	// fields it receives and under which header (REST) or metadata key (gRPC): header name → field, the
	// field one of user_id, client_id, scopes (space-separated), plan, kind, authorization (the client's
	// Authorization header as received, forwarded only where listed). An upstream left out receives
	// nothing. Default: every upstream gets X-User-Id ← user_id, X-Client-Id ← client_id and
	// X-User-Scopes ← scopes.
	Propagate map[string]map[string]string `yaml:"propagate"`
}

// JWTConfig configures bearer-token verification.
type JWTConfig struct {
	// Algorithms is the allowlist of the tokens' "alg": any of RS256, ES256, EdDSA, HS256. A token
	// signed otherwise is refused; "none" is never accepted. Default all four.
	Algorithms []string `yaml:"algorithms"`
	// Issuer, when set, is the required "iss" claim.
	Issuer string `yaml:"issuer"`
	// Audience, when set, must be one of the token's "aud" values.
	Audience string `yaml:"audience"`
	// Leeway is the clock skew tolerated on exp, nbf and iat. Default 30s.
	Leeway time.Duration `yaml:"leeway"`
	// JWKSURL is where the keys of RS256, ES256 and EdDSA tokens are fetched (a JSON Web Key Set).
	// Empty: only HS256 tokens can be verified.
	JWKSURL string `yaml:"jwks_url"`
	// JWKSRefresh is the longest time fetched keys are used before they are fetched again. Default 15m.
	JWKSRefresh time.Duration `yaml:"jwks_refresh"`
	// JWKSMinRefresh bounds how often a token with an unknown "kid" (or a failed fetch) may cause a
	// new fetch, so that rotated keys are picked up without a restart and bad tokens cannot flood the
	// key server. Default 30s.
	JWKSMinRefresh time.Duration `yaml:"jwks_min_refresh"`
	// JWKSTimeout bounds one fetch of the key set. Default 5s.
	JWKSTimeout time.Duration `yaml:"jwks_timeout"`
	// HS256Secret is the shared secret of HS256 tokens, at least 32 bytes (package gateway also fills it
	// from hs256_secret_file and TRELLIS_AUTH_JWT_HS256_SECRET). Empty in development mode: the well-known development
	// secret (DevSecret), so that `gateway token` works out of the box; empty in production mode: HS256
	// is off. Production mode refuses to start with the development secret.
	HS256Secret secret.Secret `yaml:"hs256_secret"`
	// ScopesClaim is the claim holding the scopes: a space-separated string or an array of strings.
	// Default "scope".
	ScopesClaim string `yaml:"scopes_claim"`
}

// APIKeysConfig configures the API keys of machine clients.
type APIKeysConfig struct {
	// Header is the request header that carries the key. Default "X-API-Key".
	Header string `yaml:"header"`
	// Keys are the accepted keys, by the SHA-256 of the key (hex); the keys themselves are never stored.
	// `echo -n "$KEY" | sha256sum` computes it.
	Keys []APIKey `yaml:"keys"`
}

// APIKey is one accepted API key.
type APIKey struct {
	// SHA256 is the hex SHA-256 of the key. Required.
	SHA256 string `yaml:"sha256"`
	// ClientID names the client; rate limits and logs use it. Required, unique.
	ClientID string `yaml:"client_id"`
	// Scopes are the permissions of the client.
	Scopes []string `yaml:"scopes"`
	// Plan is the client's plan name, which cost limits price against. Empty: the default plan.
	Plan string `yaml:"plan"`
}

// DevSecret is the well-known HS256 secret of development mode. Anyone can mint tokens with it:
// production mode refuses to start with it.
const DevSecret secret.Secret = "trellis-development-secret-do-not-use-in-production"

// upstreamNames are the upstreams Propagate's default lists: the sample services. Which names it may
// list is the upstreams section's business: package gateway checks them against the declared upstreams
// (ValidateUpstreams).
var upstreamNames = []string{"accounts", "products", "reviews", "inventory", "orders"}

// The caller fields Propagate may send (the values of auth.propagate.<upstream>.<header>).
const (
	FieldUserID        = "user_id"
	FieldClientID      = "client_id"
	FieldScopes        = "scopes"
	FieldPlan          = "plan"
	FieldKind          = "kind"
	FieldAuthorization = "authorization"
)

var propagateFields = []string{FieldUserID, FieldClientID, FieldScopes, FieldPlan, FieldKind, FieldAuthorization}

// supportedAlgorithms are the algorithms Algorithms may list.
var supportedAlgorithms = []string{"RS256", "ES256", "EdDSA", "HS256"}

// DefaultConfig returns the defaults of every field.
func DefaultConfig() Config { return Config{}.WithDefaults() }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.JWT.Algorithms == nil {
		c.JWT.Algorithms = slices.Clone(supportedAlgorithms)
	}
	if c.JWT.Leeway == 0 {
		c.JWT.Leeway = 30 * time.Second
	}
	if c.JWT.JWKSRefresh == 0 {
		c.JWT.JWKSRefresh = 15 * time.Minute
	}
	if c.JWT.JWKSMinRefresh == 0 {
		c.JWT.JWKSMinRefresh = 30 * time.Second
	}
	if c.JWT.JWKSTimeout == 0 {
		c.JWT.JWKSTimeout = 5 * time.Second
	}
	if c.JWT.ScopesClaim == "" {
		c.JWT.ScopesClaim = "scope"
	}
	if c.APIKeys.Header == "" {
		c.APIKeys.Header = "X-API-Key"
	}
	if c.APIKeys.Keys == nil {
		c.APIKeys.Keys = []APIKey{}
	}
	if c.AdminScope == "" {
		c.AdminScope = "admin"
	}
	if c.Propagate == nil {
		c.Propagate = make(map[string]map[string]string, len(upstreamNames))
		for _, u := range upstreamNames {
			c.Propagate[u] = map[string]string{"X-User-Id": FieldUserID, "X-Client-Id": FieldClientID, "X-User-Scopes": FieldScopes}
		}
	}
	return c
}

// HS256Key returns the effective HS256 secret: the configured one, else DevSecret in development
// mode; nil when HS256 is off.
func (c Config) HS256Key(production bool) []byte {
	switch {
	case c.JWT.HS256Secret != "":
		return []byte(c.JWT.HS256Secret)
	case !production:
		return []byte(DevSecret)
	}
	return nil
}

// ValidateUpstreams reports each upstream Propagate names that is not among declared (the upstreams
// section's names).
func (c Config) ValidateUpstreams(declared []string) error {
	var errs []error
	for _, u := range sortedKeys(c.Propagate) {
		if !slices.Contains(declared, u) {
			errs = append(errs, fmt.Errorf("propagate.%s: unknown upstream; one of %s (upstreams.rest and upstreams.grpc)", u, strings.Join(declared, ", ")))
		}
	}
	return errors.Join(errs...)
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, configerr.Prefix("jwt", c.JWT.validate()), configerr.Prefix("api_keys", c.APIKeys.validate()))
	if c.AdminScope == "" || strings.ContainsAny(c.AdminScope, " \t") {
		errs = append(errs, fmt.Errorf("admin_scope: one scope without spaces, got %q", c.AdminScope))
	}
	for _, u := range sortedKeys(c.Propagate) {
		for _, h := range sortedKeys(c.Propagate[u]) {
			if err := validHeader(h); err != nil {
				errs = append(errs, fmt.Errorf("propagate.%s.%s: %w", u, h, err))
			}
			if f := c.Propagate[u][h]; !slices.Contains(propagateFields, f) {
				errs = append(errs, fmt.Errorf("propagate.%s.%s: unknown field %q; one of %s", u, h, f, strings.Join(propagateFields, ", ")))
			}
		}
	}
	return errors.Join(errs...)
}

// ValidateMode reports what production mode forbids: the development secret.
func (c Config) ValidateMode(production bool) error {
	if production && c.JWT.HS256Secret == DevSecret {
		return fmt.Errorf("jwt.hs256_secret: the well-known development secret cannot be used in production mode; set a secret of your own (or TRELLIS_AUTH_JWT_HS256_SECRET, or hs256_secret_file) or leave it empty to turn HS256 off")
	}
	return nil
}

func (c JWTConfig) validate() error {
	var errs []error
	for _, a := range c.Algorithms {
		if !slices.Contains(supportedAlgorithms, a) {
			errs = append(errs, fmt.Errorf("algorithms: %q is not supported; use any of %s", a, strings.Join(supportedAlgorithms, ", ")))
		}
	}
	if len(c.Algorithms) == 0 {
		errs = append(errs, fmt.Errorf("algorithms: list at least one of %s", strings.Join(supportedAlgorithms, ", ")))
	}
	for key, d := range map[string]time.Duration{
		"leeway": c.Leeway, "jwks_refresh": c.JWKSRefresh, "jwks_min_refresh": c.JWKSMinRefresh, "jwks_timeout": c.JWKSTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: must be >= 0 (0 = default), got %s", key, d))
		}
	}
	if c.JWKSURL != "" {
		u, err := url.Parse(c.JWKSURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("jwks_url: want an http(s) URL, e.g. https://idp.example.com/.well-known/jwks.json"))
		}
	}
	if c.HS256Secret != "" && len(c.HS256Secret) < 32 {
		errs = append(errs, fmt.Errorf("hs256_secret: at least 32 bytes, got %d", len(c.HS256Secret)))
	}
	if c.ScopesClaim == "" {
		errs = append(errs, errors.New("scopes_claim: required, e.g. scope"))
	}
	return errors.Join(errs...)
}

func (c APIKeysConfig) validate() error {
	var errs []error
	if err := validHeader(c.Header); err != nil {
		errs = append(errs, fmt.Errorf("header: %w", err))
	} else if strings.EqualFold(c.Header, "Authorization") {
		errs = append(errs, errors.New("header: Authorization carries bearer tokens; name another header"))
	}
	hashes, clients := map[string]bool{}, map[string]bool{}
	for i, k := range c.Keys {
		sum, err := hex.DecodeString(k.SHA256)
		switch {
		case err != nil || len(sum) != 32:
			errs = append(errs, fmt.Errorf("keys[%d].sha256: want 64 hex digits (echo -n \"$KEY\" | sha256sum)", i))
		case hashes[strings.ToLower(k.SHA256)]:
			errs = append(errs, fmt.Errorf("keys[%d].sha256: listed twice", i))
		}
		hashes[strings.ToLower(k.SHA256)] = true
		switch {
		case k.ClientID == "":
			errs = append(errs, fmt.Errorf("keys[%d].client_id: required", i))
		case clients[k.ClientID]:
			errs = append(errs, fmt.Errorf("keys[%d].client_id: %q is listed twice", i, k.ClientID))
		}
		clients[k.ClientID] = true
	}
	return errors.Join(errs...)
}

// validHeader checks that name can be sent as an HTTP header and a gRPC metadata key, and is not one
// the transports own.
func validHeader(name string) error {
	if name == "" {
		return errors.New("empty header name")
	}
	for _, r := range name {
		ok := r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return fmt.Errorf("%q is not a valid header name (letters, digits, -, _, .)", name)
		}
	}
	switch http.CanonicalHeaderKey(name) {
	case "Host", "Content-Type", "Content-Length", "Accept", "Connection", "Transfer-Encoding", "Te", "Upgrade":
		return fmt.Errorf("%q is set by the transport", name)
	}
	if strings.HasPrefix(strings.ToLower(name), "grpc-") {
		return fmt.Errorf("%q: grpc- keys are reserved", name)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
