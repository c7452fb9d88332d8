package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/trellisgw/trellis/graph/identity"
	"github.com/trellisgw/trellis/upstreams/outbound"
)

func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// seen is what the next handler saw of a request.
type seen struct {
	ran    bool
	caller *identity.Caller
	out    map[string][]outbound.Field
}

func serve(t *testing.T, a *Authenticator, hdr http.Header) (*httptest.ResponseRecorder, seen) {
	t.Helper()
	var s seen
	h := a.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		s.ran = true
		s.caller = identity.FromContext(r.Context())
		h := outbound.FromContext(r.Context())
		for _, u := range upstreamNames {
			if f := h.For(u); f != nil {
				if s.out == nil {
					s.out = map[string][]outbound.Field{}
				}
				s.out[u] = f
			}
		}
	}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("{}"))
	req.Header = hdr
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, s
}

func TestMiddleware(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	a := newTestAuthenticator(t, "", clock, func(c *Config) {
		c.APIKeys.Keys = []APIKey{{SHA256: hashOf("key-1"), ClientID: "ci", Scopes: []string{"products:read"}, Plan: "pro"}}
		c.Propagate = map[string]map[string]string{
			"accounts": {"X-User-Id": FieldUserID, "X-Kind": FieldKind, "X-Plan": FieldPlan},
			"orders":   {"x-client-id": FieldClientID, "authorization": FieldAuthorization},
		}
	})
	tok := sign(t, clock.Now(), validClaims(), jwa.HS256(), []byte(testSecret))
	tests := []struct {
		name       string
		hdr        http.Header
		wantStatus int
		wantCaller *identity.Caller
		wantOut    map[string][]outbound.Field
	}{
		{name: "no credentials", hdr: http.Header{}, wantStatus: 200},
		{name: "bearer token", hdr: http.Header{"Authorization": {"Bearer " + tok}}, wantStatus: 200,
			wantCaller: &identity.Caller{Kind: identity.User, UserID: "42", Scopes: []string{"orders:read", "admin"}},
			wantOut: map[string][]outbound.Field{
				"accounts": {{Key: "X-Kind", Value: "user"}, {Key: "X-User-Id", Value: "42"}},
				"orders":   {{Key: "authorization", Value: "Bearer " + tok}},
			}},
		{name: "lower-case scheme", hdr: http.Header{"Authorization": {"bearer " + tok}}, wantStatus: 200,
			wantCaller: &identity.Caller{Kind: identity.User, UserID: "42", Scopes: []string{"orders:read", "admin"}},
			wantOut: map[string][]outbound.Field{
				"accounts": {{Key: "X-Kind", Value: "user"}, {Key: "X-User-Id", Value: "42"}},
				"orders":   {{Key: "authorization", Value: "bearer " + tok}},
			}},
		{name: "api key", hdr: http.Header{"X-Api-Key": {"key-1"}}, wantStatus: 200,
			wantCaller: &identity.Caller{Kind: identity.APIKey, ClientID: "ci", Scopes: []string{"products:read"}, Plan: "pro"},
			wantOut: map[string][]outbound.Field{
				"accounts": {{Key: "X-Kind", Value: "apikey"}, {Key: "X-Plan", Value: "pro"}},
				"orders":   {{Key: "x-client-id", Value: "ci"}},
			}},
		{name: "unknown api key", hdr: http.Header{"X-Api-Key": {"key-2"}}, wantStatus: 401},
		{name: "two api keys", hdr: http.Header{"X-Api-Key": {"key-1", "key-1"}}, wantStatus: 401},
		{name: "token and api key", hdr: http.Header{"Authorization": {"Bearer " + tok}, "X-Api-Key": {"key-1"}}, wantStatus: 401},
		{name: "two tokens", hdr: http.Header{"Authorization": {"Bearer " + tok, "Bearer " + tok}}, wantStatus: 401},
		{name: "empty bearer", hdr: http.Header{"Authorization": {"Bearer "}}, wantStatus: 401},
		{name: "basic", hdr: http.Header{"Authorization": {"Basic Zm9vOmJhcg=="}}, wantStatus: 401},
		{name: "bad token", hdr: http.Header{"Authorization": {"Bearer " + tok + "x"}}, wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, s := serve(t, a, tt.hdr)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == 401 {
				if s.ran {
					t.Error("the handler ran for refused credentials")
				}
				if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer error="invalid_token", error_description="`) {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				var body struct {
					Errors []struct {
						Message    string
						Extensions map[string]any
					}
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
					t.Errorf("body %s, want one UNAUTHENTICATED error", rec.Body)
				}
				if strings.Contains(rec.Body.String(), tok) || strings.Contains(rec.Body.String(), "key-") {
					t.Errorf("the answer quotes the credential: %s", rec.Body)
				}
				return
			}
			if !s.ran {
				t.Fatal("the handler did not run")
			}
			if diff := cmp.Diff(tt.wantCaller, s.caller); diff != "" {
				t.Errorf("caller (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOut, s.out); diff != "" {
				t.Errorf("outbound (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzMiddleware: no Authorization value makes the middleware panic or let a request through with
// a caller it did not verify.
func FuzzMiddleware(f *testing.F) {
	for _, s := range []string{"Bearer a.b.c", "Bearer ", "bearer eyJhbGciOiJub25lIn0.e30.", "Basic x", "", "Bearer eyJ.eyJ.sig"} {
		f.Add(s)
	}
	a, err := New(Config{}, false)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var caller *identity.Caller
		h := a.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			caller = identity.FromContext(r.Context())
		}))
		req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		req.Header.Set("Authorization", v)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if caller != nil {
			t.Fatalf("accepted %q as %+v", v, caller)
		}
		if rec.Code != 200 && rec.Code != 401 {
			t.Fatalf("status %d", rec.Code)
		}
	})
}

// BenchmarkMiddleware measures authenticating one request: anonymous, an HS256 token, an API key.
func BenchmarkMiddleware(b *testing.B) {
	a, err := New(Config{APIKeys: APIKeysConfig{Keys: []APIKey{{SHA256: hashOf("key-1"), ClientID: "ci"}}}}, false)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := MintHS256([]byte(DevSecret), TokenClaims{Subject: "42", Scopes: []string{"orders:read"}, TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	h := a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for name, hdr := range map[string]http.Header{
		"anonymous": {}, "hs256": {"Authorization": {"Bearer " + tok}}, "apikey": {"X-Api-Key": {"key-1"}},
	} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			req.Header = hdr
			rec := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(rec, req)
			}
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		})
	}
}
