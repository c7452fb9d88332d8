package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/trellisgw/trellis/graph/identity"
	"github.com/trellisgw/trellis/upstreams/outbound"
)

// Authenticator verifies the credentials of requests (Middleware) and builds what upstreams are told
// about the caller. Make it with New; it is safe for concurrent use and starts no goroutine.
type Authenticator struct {
	verify       verifier
	apiKeyHeader string
	apiKeys      map[[sha256.Size]byte]*identity.Caller
	propagate    map[string][]propagation
	log          *slog.Logger
	in           instruments
}

// propagation is one header (or metadata key) an upstream receives and the caller field it carries.
type propagation struct {
	key   string
	field string
}

// Option adjusts New.
type Option func(*Authenticator)

// WithLogger sets the logger of rejections (debug) and key-set failures (warn); default discard.
func WithLogger(l *slog.Logger) Option { return func(a *Authenticator) { a.log = l } }

// WithClock sets the clock tokens are checked against; default time.Now.
func WithClock(now func() time.Time) Option {
	return func(a *Authenticator) {
		a.verify.now = now
		if a.verify.keys != nil {
			a.verify.keys.now = now
		}
	}
}

// New returns the authenticator of cfg (defaults applied, then validated). production selects the
// effective HS256 secret (Config.HS256Key) and forbids the development secret. It does no network I/O.
func New(cfg Config, production bool, opts ...Option) (*Authenticator, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if err := cfg.ValidateMode(production); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	in := newInstruments()
	a := &Authenticator{
		verify: verifier{
			algs:        map[string]jwa.SignatureAlgorithm{},
			hs256:       cfg.HS256Key(production),
			issuer:      cfg.JWT.Issuer,
			audience:    cfg.JWT.Audience,
			leeway:      cfg.JWT.Leeway,
			scopesClaim: cfg.JWT.ScopesClaim,
			now:         time.Now,
		},
		apiKeyHeader: http.CanonicalHeaderKey(cfg.APIKeys.Header),
		apiKeys:      make(map[[sha256.Size]byte]*identity.Caller, len(cfg.APIKeys.Keys)),
		propagate:    map[string][]propagation{},
		log:          slog.New(slog.DiscardHandler),
		in:           in,
	}
	for _, name := range cfg.JWT.Algorithms {
		alg, _ := jwa.LookupSignatureAlgorithm(name) // validated: one of supportedAlgorithms
		a.verify.algs[name] = alg
	}
	if cfg.JWT.JWKSURL != "" {
		a.verify.keys = &jwks{
			url:         cfg.JWT.JWKSURL,
			client:      &http.Client{Timeout: cfg.JWT.JWKSTimeout},
			refresh:     cfg.JWT.JWKSRefresh,
			minInterval: cfg.JWT.JWKSMinRefresh,
			timeout:     cfg.JWT.JWKSTimeout,
			now:         time.Now,
			in:          in,
		}
	}
	for _, k := range cfg.APIKeys.Keys {
		var sum [sha256.Size]byte
		raw, _ := hex.DecodeString(k.SHA256) // validated: 64 hex digits
		copy(sum[:], raw)
		a.apiKeys[sum] = &identity.Caller{Kind: identity.APIKey, ClientID: k.ClientID, Scopes: k.Scopes, Plan: k.Plan}
	}
	for upstream, headers := range cfg.Propagate {
		for _, key := range sortedKeys(headers) {
			a.propagate[upstream] = append(a.propagate[upstream], propagation{key: key, field: headers[key]})
		}
	}
	for _, opt := range opts {
		opt(a)
	}
	if a.verify.keys != nil {
		a.verify.keys.log = a.log
	}
	if _, hs := a.verify.algs["HS256"]; hs && !production && cfg.JWT.HS256Secret == "" {
		a.log.Warn("auth: development mode accepts HS256 tokens signed with the well-known development secret (`gateway token` mints them)")
	}
	return a, nil
}

// outboundFor returns the headers each upstream receives for caller c; authorization is the client's
// Authorization header as received. It returns nil when no upstream receives anything.
func (a *Authenticator) outboundFor(c *identity.Caller, authorization string) *outbound.Headers {
	var by map[string][]outbound.Field
	for upstream, props := range a.propagate {
		var fields []outbound.Field
		for _, p := range props {
			if v := fieldValue(c, p.field, authorization); v != "" {
				fields = append(fields, outbound.Field{Key: p.key, Value: v})
			}
		}
		if len(fields) > 0 {
			if by == nil {
				by = make(map[string][]outbound.Field, len(a.propagate))
			}
			by[upstream] = fields
		}
	}
	if by == nil {
		return nil
	}
	return outbound.New(by)
}

// fieldValue returns the value of a propagated caller field, "" when the caller has none.
func fieldValue(c *identity.Caller, field, authorization string) string {
	switch field {
	case FieldAuthorization:
		return authorization
	case FieldKind:
		return string(identity.KindOf(c))
	}
	if c == nil {
		return ""
	}
	switch field {
	case FieldUserID:
		return c.UserID
	case FieldClientID:
		return c.ClientID
	case FieldScopes:
		return strings.Join(c.Scopes, " ")
	case FieldPlan:
		return c.Plan
	}
	return ""
}

// apiKey returns the caller of an API key (a copy per request), nil for an unknown key. Keys are
// compared by their SHA-256, so neither the table nor the timing of the look-up reveal a key.
func (a *Authenticator) apiKey(key string) *identity.Caller {
	c := a.apiKeys[sha256.Sum256([]byte(key))]
	if c == nil {
		return nil
	}
	cp := *c
	cp.Scopes = slices.Clone(c.Scopes)
	return &cp
}
