package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "trellis"
	testSecret   = "0123456789abcdef0123456789abcdef-test"
)

// keyServer is a real JWKS endpoint whose keys a test can rotate; it counts its fetches.
type keyServer struct {
	*httptest.Server
	mu      sync.Mutex
	public  jwk.Set
	fetches atomic.Int64
}

func newKeyServer(t *testing.T, keys ...jwk.Key) *keyServer {
	t.Helper()
	ks := &keyServer{}
	ks.rotate(t, keys...)
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		ks.fetches.Add(1)
		ks.mu.Lock()
		defer ks.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ks.public)
	}))
	t.Cleanup(ks.Close)
	return ks
}

// rotate replaces the published keys with the public halves of keys.
func (ks *keyServer) rotate(t *testing.T, keys ...jwk.Key) {
	t.Helper()
	set := jwk.NewSet()
	for _, k := range keys {
		pub, err := k.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		if err := set.AddKey(pub); err != nil {
			t.Fatal(err)
		}
	}
	ks.mu.Lock()
	ks.public = set
	ks.mu.Unlock()
}

// signingKey returns a private JWK of raw with kid and alg set.
func signingKey(t *testing.T, raw any, kid string, alg jwa.SignatureAlgorithm) jwk.Key {
	t.Helper()
	k, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	if err := k.Set(jwk.AlgorithmKey, alg); err != nil {
		t.Fatal(err)
	}
	return k
}

type testKeys struct {
	rsa, rsa2, ec, ed jwk.Key
	rsaPublicPEM      []byte
}

func newTestKeys(t *testing.T) testKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rk2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{
		rsa:          signingKey(t, rk, "rsa-1", jwa.RS256()),
		rsa2:         signingKey(t, rk2, "rsa-2", jwa.RS256()),
		ec:           signingKey(t, ek, "ec-1", jwa.ES256()),
		ed:           signingKey(t, edk, "ed-1", jwa.EdDSA()),
		rsaPublicPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
	}
}

// claims are a token's claims relative to the test clock.
type claims struct {
	sub, iss, aud  string
	exp, nbf       time.Duration // from now; 0 = none
	noExp, noSub   bool
	scope, scopeAs any
}

func validClaims() claims {
	return claims{sub: "42", iss: testIssuer, aud: testAudience, exp: time.Hour, scope: "orders:read admin"}
}

func sign(t *testing.T, now time.Time, c claims, alg jwa.SignatureAlgorithm, key any) string {
	t.Helper()
	b := jwt.NewBuilder().IssuedAt(now)
	if !c.noSub {
		b = b.Subject(c.sub)
	}
	if c.iss != "" {
		b = b.Issuer(c.iss)
	}
	if c.aud != "" {
		b = b.Audience([]string{c.aud})
	}
	if !c.noExp {
		b = b.Expiration(now.Add(c.exp))
	}
	if c.nbf != 0 {
		b = b.NotBefore(now.Add(c.nbf))
	}
	if c.scope != nil {
		b = b.Claim("scope", c.scope)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Sign(tok, jwt.WithKey(alg, key))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// unsigned returns an "alg: none" token with the payload of c.
func unsigned(t *testing.T, now time.Time, c claims) string {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"sub": c.sub, "iss": c.iss, "aud": c.aud, "exp": now.Add(c.exp).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestAuthenticator(t *testing.T, url string, clock *fakeClock, tweak ...func(*Config)) *Authenticator {
	t.Helper()
	cfg := Config{JWT: JWTConfig{
		Issuer: testIssuer, Audience: testAudience, JWKSURL: url, HS256Secret: testSecret,
		Leeway: 30 * time.Second, JWKSMinRefresh: time.Minute,
	}}
	for _, f := range tweak {
		f(&cfg)
	}
	a, err := New(cfg, true, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestVerifyCredentials is the table of credentials → outcome of the issue.
func TestVerifyCredentials(t *testing.T) {
	keys := newTestKeys(t)
	ks := newKeyServer(t, keys.rsa, keys.ec, keys.ed)
	clock := &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	a := newTestAuthenticator(t, ks.URL, clock)
	now := clock.Now()
	with := func(f func(*claims)) claims { c := validClaims(); f(&c); return c }

	tests := []struct {
		name       string
		token      string
		wantReason string // "" = accepted
	}{
		{name: "RS256 valid", token: sign(t, now, validClaims(), jwa.RS256(), keys.rsa)},
		{name: "ES256 valid", token: sign(t, now, validClaims(), jwa.ES256(), keys.ec)},
		{name: "EdDSA valid", token: sign(t, now, validClaims(), jwa.EdDSA(), keys.ed)},
		{name: "HS256 valid", token: sign(t, now, validClaims(), jwa.HS256(), []byte(testSecret))},
		{name: "expired", token: sign(t, now, with(func(c *claims) { c.exp = -time.Minute }), jwa.RS256(), keys.rsa), wantReason: reasonExpired},
		{name: "expired within leeway", token: sign(t, now, with(func(c *claims) { c.exp = -10 * time.Second }), jwa.RS256(), keys.rsa)},
		{name: "nbf in the future", token: sign(t, now, with(func(c *claims) { c.nbf = time.Minute }), jwa.ES256(), keys.ec), wantReason: reasonNotYetValid},
		{name: "nbf within leeway", token: sign(t, now, with(func(c *claims) { c.nbf = 10 * time.Second }), jwa.ES256(), keys.ec)},
		{name: "wrong aud", token: sign(t, now, with(func(c *claims) { c.aud = "someone-else" }), jwa.RS256(), keys.rsa), wantReason: reasonAudience},
		{name: "wrong iss", token: sign(t, now, with(func(c *claims) { c.iss = "https://evil.test" }), jwa.RS256(), keys.rsa), wantReason: reasonIssuer},
		{name: "no exp", token: sign(t, now, with(func(c *claims) { c.noExp = true }), jwa.RS256(), keys.rsa), wantReason: reasonClaims},
		{name: "no sub", token: sign(t, now, with(func(c *claims) { c.noSub = true }), jwa.RS256(), keys.rsa), wantReason: reasonClaims},
		{name: "scope of the wrong type", token: sign(t, now, with(func(c *claims) { c.scope = 7 }), jwa.RS256(), keys.rsa), wantReason: reasonClaims},
		{name: "alg none", token: unsigned(t, now, validClaims()), wantReason: reasonAlgorithm},
		{name: "HS256 keyed with the RSA public key", token: sign(t, now, validClaims(), jwa.HS256(), signingKeyHMAC(t, keys.rsaPublicPEM, "rsa-1")), wantReason: reasonSignature},
		{name: "HS256 with another secret", token: sign(t, now, validClaims(), jwa.HS256(), []byte(strings.Repeat("z", 32))), wantReason: reasonSignature},
		{name: "alg not allowed", token: sign(t, now, validClaims(), jwa.RS384(), signingKey(t, rawOf(t, keys.rsa), "rsa-1", jwa.RS384())), wantReason: reasonAlgorithm},
		{name: "ES256 header with the kid of an RSA key", token: sign(t, now, validClaims(), jwa.ES256(), signingKey(t, rawOf(t, keys.ec), "rsa-1", jwa.ES256())), wantReason: reasonAlgorithm},
		{name: "signed by another key under a known kid", token: sign(t, now, validClaims(), jwa.RS256(), signingKey(t, rawOf(t, keys.rsa2), "rsa-1", jwa.RS256())), wantReason: reasonSignature},
		{name: "unknown kid", token: sign(t, now, validClaims(), jwa.RS256(), keys.rsa2), wantReason: reasonUnknownKey},
		{name: "malformed: two parts", token: "abc.def", wantReason: reasonMalformed},
		{name: "malformed: garbage", token: "a.b.c", wantReason: reasonMalformed},
		{name: "malformed: too long", token: strings.Repeat("a", maxTokenBytes) + ".b.c", wantReason: reasonMalformed},
		{name: "tampered payload", token: tamper(sign(t, now, validClaims(), jwa.ES256(), keys.ec)), wantReason: reasonSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rej := a.verify.verify(context.Background(), tt.token)
			if tt.wantReason == "" {
				if rej != nil {
					t.Fatalf("refused (%s: %v), want accepted", rej.reason, rej.err)
				}
				if c.UserID != "42" || !c.HasScope("admin") || !c.HasScope("orders:read") || c.Kind != "user" {
					t.Errorf("caller = %+v", c)
				}
				return
			}
			if rej == nil {
				t.Fatalf("accepted, want refused with %s", tt.wantReason)
			}
			if rej.reason != tt.wantReason {
				t.Errorf("reason = %s (%v), want %s", rej.reason, rej.err, tt.wantReason)
			}
			if rej.err != nil && strings.Contains(rej.err.Error(), tt.token) {
				t.Errorf("the error quotes the token")
			}
		})
	}
	// One fetch for the whole table: the unknown kid came right after the first fetch, inside the
	// minimum refresh interval.
	if n := ks.fetches.Load(); n != 1 {
		t.Errorf("key server fetched %d times, want 1", n)
	}
}

// TestKeyRotation: a token signed with a new key is accepted once the key server publishes it, without
// a restart, and unknown kids refresh the keys at most once per jwks_min_refresh.
func TestKeyRotation(t *testing.T) {
	keys := newTestKeys(t)
	ks := newKeyServer(t, keys.rsa)
	clock := &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	a := newTestAuthenticator(t, ks.URL, clock)
	verify := func(key jwk.Key, alg jwa.SignatureAlgorithm) string {
		t.Helper()
		_, rej := a.verify.verify(context.Background(), sign(t, clock.Now(), validClaims(), alg, key))
		if rej != nil {
			return rej.reason
		}
		return ""
	}
	steps := []struct {
		name        string
		do          func()
		key         jwk.Key
		alg         jwa.SignatureAlgorithm
		wantReason  string
		wantFetches int64
	}{
		{name: "first key", key: keys.rsa, alg: jwa.RS256(), wantFetches: 1},
		{name: "rotated, inside the minimum interval", do: func() { ks.rotate(t, keys.rsa2, keys.ec, keys.ed) },
			key: keys.rsa2, alg: jwa.RS256(), wantReason: reasonUnknownKey, wantFetches: 1},
		{name: "more unknown kids inside the interval", key: keys.ec, alg: jwa.ES256(), wantReason: reasonUnknownKey, wantFetches: 1},
		{name: "after the interval: refreshed", do: func() { clock.Advance(2 * time.Minute) }, key: keys.rsa2, alg: jwa.RS256(), wantFetches: 2},
		{name: "EdDSA key of the new set", key: keys.ed, alg: jwa.EdDSA(), wantFetches: 2},
		{name: "retired key", key: keys.rsa, alg: jwa.RS256(), wantReason: reasonUnknownKey, wantFetches: 2},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		if got := verify(s.key, s.alg); got != s.wantReason {
			t.Errorf("%s: reason %q, want %q", s.name, got, s.wantReason)
		}
		if n := ks.fetches.Load(); n != s.wantFetches {
			t.Errorf("%s: %d fetches, want %d", s.name, n, s.wantFetches)
		}
	}
}

// TestKeyServerDown: when the key set cannot be fetched, tokens are refused and fetches are retried
// at most once per jwks_min_refresh.
func TestKeyServerDown(t *testing.T) {
	keys := newTestKeys(t)
	var fetches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	clock := &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	a := newTestAuthenticator(t, srv.URL, clock)
	for range 5 {
		_, rej := a.verify.verify(context.Background(), sign(t, clock.Now(), validClaims(), jwa.RS256(), keys.rsa))
		if rej == nil || rej.reason != reasonKeyUnavailable {
			t.Fatalf("rejection %+v, want %s", rej, reasonKeyUnavailable)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

// TestHS256Off: with HS256 left out of the allowlist, HS256 tokens are refused even with the secret.
func TestHS256Off(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	a := newTestAuthenticator(t, "", clock, func(c *Config) { c.JWT.Algorithms = []string{"RS256"} })
	_, rej := a.verify.verify(context.Background(), sign(t, clock.Now(), validClaims(), jwa.HS256(), []byte(testSecret)))
	if rej == nil || rej.reason != reasonAlgorithm {
		t.Fatalf("rejection %+v, want %s", rej, reasonAlgorithm)
	}
}

func signingKeyHMAC(t *testing.T, secret []byte, kid string) jwk.Key {
	t.Helper()
	return signingKey(t, secret, kid, jwa.HS256())
}

func rawOf(t *testing.T, k jwk.Key) any {
	t.Helper()
	var raw any
	if err := jwk.Export(k, &raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

// tamper changes the payload of a token, keeping its signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"42"`, `"43"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}
