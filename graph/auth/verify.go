package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/trellisgw/trellis/graph/identity"
)

// maxTokenBytes bounds a bearer token; longer ones are refused before any parsing.
const maxTokenBytes = 8 << 10

// The reasons of a rejection, the `reason` attribute of trellis.auth.decisions.
const (
	reasonMalformed      = "malformed"
	reasonAlgorithm      = "algorithm"
	reasonUnknownKey     = "unknown_key"
	reasonKeyUnavailable = "key_unavailable"
	reasonSignature      = "signature"
	reasonExpired        = "expired"
	reasonNotYetValid    = "not_yet_valid"
	reasonIssuer         = "issuer"
	reasonAudience       = "audience"
	reasonClaims         = "claims"
	reasonUnknownAPIKey  = "unknown_api_key"
	reasonAmbiguous      = "ambiguous"
	reasonScheme         = "scheme"
)

// rejection is why credentials were refused. Its message is shown to the client and its err is logged;
// neither ever holds the credential.
type rejection struct {
	reason string
	err    error
}

// message is what the client is told.
func (r *rejection) message() string {
	switch r.reason {
	case reasonExpired:
		return "the token has expired"
	case reasonNotYetValid:
		return "the token is not valid yet"
	case reasonUnknownAPIKey:
		return "the API key is not valid"
	case reasonAmbiguous:
		return "send either a bearer token or an API key, not both"
	case reasonScheme:
		return "the Authorization header must be 'Bearer <token>'"
	case reasonKeyUnavailable:
		return "the token could not be verified; try again later"
	}
	return "the token is not valid"
}

func reject(reason string, err error) *rejection { return &rejection{reason: reason, err: err} }

// verifier verifies JWTs: the algorithm against the allowlist, the signature with the key the
// algorithm calls for (HS256: only the configured secret; others: only the JWKS key of the token's
// kid, of the matching key type), then exp, nbf, iat with leeway, iss and aud.
type verifier struct {
	algs        map[string]jwa.SignatureAlgorithm
	hs256       []byte
	keys        *jwks // nil without a JWKS URL
	issuer      string
	audience    string
	leeway      time.Duration
	scopesClaim string
	now         func() time.Time
}

// verify returns the caller the token proves.
func (v *verifier) verify(ctx context.Context, token string) (*identity.Caller, *rejection) {
	if len(token) > maxTokenBytes || strings.Count(token, ".") != 2 {
		return nil, reject(reasonMalformed, errors.New("not a compact JWS"))
	}
	msg, err := jws.Parse([]byte(token))
	if err != nil {
		return nil, reject(reasonMalformed, fmt.Errorf("parse: %w", err))
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return nil, reject(reasonMalformed, fmt.Errorf("%d signatures", len(sigs)))
	}
	hdr := sigs[0].ProtectedHeaders()
	alg, ok := hdr.Algorithm()
	if !ok {
		return nil, reject(reasonMalformed, errors.New("no alg"))
	}
	allowed, ok := v.algs[alg.String()]
	if !ok {
		return nil, reject(reasonAlgorithm, fmt.Errorf("alg %q is not allowed", alg.String()))
	}
	key, rej := v.keyFor(ctx, allowed, hdr)
	if rej != nil {
		return nil, rej
	}
	opts := []jwt.ParseOption{
		jwt.WithKey(allowed, key),
		jwt.WithValidate(true),
		jwt.WithAcceptableSkew(v.leeway),
		jwt.WithClock(jwt.ClockFunc(v.now)),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
	}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}
	tok, err := jwt.Parse([]byte(token), opts...)
	if err != nil {
		return nil, classify(err)
	}
	return v.caller(tok)
}

// keyFor returns the verification key of a token signed with alg.
func (v *verifier) keyFor(ctx context.Context, alg jwa.SignatureAlgorithm, hdr jws.Headers) (any, *rejection) {
	if alg == jwa.HS256() {
		if v.hs256 == nil {
			return nil, reject(reasonAlgorithm, errors.New("HS256 is off (no secret)"))
		}
		return v.hs256, nil // never a JWKS key: an HMAC keyed with a public key is refused
	}
	if v.keys == nil {
		return nil, reject(reasonAlgorithm, fmt.Errorf("alg %s needs auth.jwt.jwks_url", alg))
	}
	kid, ok := hdr.KeyID()
	if !ok || kid == "" {
		return nil, reject(reasonMalformed, errors.New("no kid"))
	}
	key, err := v.keys.key(ctx, kid)
	switch {
	case errors.Is(err, errUnknownKey):
		return nil, reject(reasonUnknownKey, err)
	case err != nil:
		return nil, reject(reasonKeyUnavailable, err)
	}
	if err := keyFits(key, alg); err != nil {
		return nil, reject(reasonAlgorithm, err)
	}
	return key, nil
}

// keyFits checks that key may verify alg: its type matches the algorithm, its own alg (if any) is alg
// and its use (if any) is "sig".
func keyFits(key jwk.Key, alg jwa.SignatureAlgorithm) error {
	want := map[jwa.SignatureAlgorithm]jwa.KeyType{
		jwa.RS256(): jwa.RSA(), jwa.ES256(): jwa.EC(), jwa.EdDSA(): jwa.OKP(),
	}[alg]
	if key.KeyType() != want {
		return fmt.Errorf("key type %s cannot verify %s", key.KeyType(), alg)
	}
	if ka, ok := key.Algorithm(); ok && ka.String() != alg.String() {
		return fmt.Errorf("key is for %s, token says %s", ka, alg)
	}
	if use, ok := key.KeyUsage(); ok && use != string(jwk.ForSignature) {
		return fmt.Errorf("key use is %q", use)
	}
	return nil
}

// classify maps a jwt.Parse error to a rejection.
func classify(err error) *rejection {
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		return reject(reasonExpired, err)
	case errors.Is(err, jwt.TokenNotYetValidError()), errors.Is(err, jwt.InvalidIssuedAtError()):
		return reject(reasonNotYetValid, err)
	case errors.Is(err, jwt.InvalidIssuerError()):
		return reject(reasonIssuer, err)
	case errors.Is(err, jwt.InvalidAudienceError()):
		return reject(reasonAudience, err)
	case errors.Is(err, jwt.MissingRequiredClaimError()), errors.Is(err, jwt.ValidateError()):
		return reject(reasonClaims, err)
	}
	return reject(reasonSignature, err)
}

// caller builds the caller of a verified token.
func (v *verifier) caller(tok jwt.Token) (*identity.Caller, *rejection) {
	sub, _ := tok.Subject()
	if sub == "" {
		return nil, reject(reasonClaims, errors.New("empty sub"))
	}
	c := &identity.Caller{Kind: identity.User, UserID: sub}
	var raw any
	if err := tok.Get(v.scopesClaim, &raw); err == nil {
		scopes, ok := scopeList(raw)
		if !ok {
			return nil, reject(reasonClaims, fmt.Errorf("claim %s is neither a string nor an array of strings", v.scopesClaim))
		}
		c.Scopes = scopes
	}
	for _, name := range []string{"client_id", "azp"} {
		var s string
		if err := tok.Get(name, &s); err == nil && s != "" {
			c.ClientID = s
			break
		}
	}
	var plan string
	if err := tok.Get("plan", &plan); err == nil {
		c.Plan = plan
	}
	return c, nil
}

// scopeList reads a scope claim: "a b c" (RFC 8693) or ["a", "b", "c"].
func scopeList(raw any) ([]string, bool) {
	switch s := raw.(type) {
	case string:
		return strings.Fields(s), true
	case []any:
		out := make([]string, 0, len(s))
		for _, e := range s {
			str, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, str)
		}
		return out, true
	case []string:
		return s, true
	}
	return nil, false
}
