package graph

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCORS(t *testing.T) {
	on := Config{CORS: CORSConfig{Enabled: true, AllowedOrigins: []string{"https://app.example.com", "https://*.shop.example"}, AllowCredentials: true, MaxAge: 5 * time.Minute}}
	preflight := func(origin, method, headers string) *http.Request {
		r := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			r.Header.Set("Access-Control-Request-Headers", headers)
		}
		return r
	}
	post := func(origin string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("{}"))
		r.Header.Set("Origin", origin)
		return r
	}
	tests := []struct {
		name       string
		cfg        Config
		req        *http.Request
		wantStatus int
		want       map[string]string // response headers; "" means absent
	}{
		{
			name: "off by default", cfg: Config{}, req: preflight("https://app.example.com", "POST", "content-type"),
			wantStatus: http.StatusTeapot, want: map[string]string{"Access-Control-Allow-Origin": ""},
		},
		{
			name: "preflight, exact origin, CSRF header and traceparent",
			cfg:  on, req: preflight("https://app.example.com", "POST", "authorization,content-type,graphql-preflight,traceparent"),
			wantStatus: http.StatusNoContent,
			want: map[string]string{
				"Access-Control-Allow-Origin":      "https://app.example.com",
				"Access-Control-Allow-Methods":     "POST",
				"Access-Control-Allow-Headers":     "authorization,content-type,graphql-preflight,traceparent",
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Max-Age":           "300",
			},
		},
		{
			name: "preflight, pattern origin", cfg: on, req: preflight("https://eu.shop.example", "GET", "apollo-require-preflight"),
			wantStatus: http.StatusNoContent,
			want:       map[string]string{"Access-Control-Allow-Origin": "https://eu.shop.example"},
		},
		{
			name: "preflight, other origin", cfg: on, req: preflight("https://evil.example", "POST", "content-type"),
			wantStatus: http.StatusNoContent,
			want:       map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""},
		},
		{
			name: "preflight, method not allowed", cfg: on, req: preflight("https://app.example.com", "DELETE", ""),
			wantStatus: http.StatusNoContent,
			want:       map[string]string{"Access-Control-Allow-Origin": ""},
		},
		{
			name: "preflight, header not allowed", cfg: on, req: preflight("https://app.example.com", "POST", "x-secret"),
			wantStatus: http.StatusNoContent,
			want:       map[string]string{"Access-Control-Allow-Origin": ""},
		},
		{
			name: "request from an allowed origin", cfg: on, req: post("https://app.example.com"),
			wantStatus: http.StatusTeapot,
			want: map[string]string{
				"Access-Control-Allow-Origin":      "https://app.example.com",
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Expose-Headers":    "X-Request-Id, Ratelimit, Ratelimit-Policy, Retry-After",
				"Vary":                             "Origin",
			},
		},
		{
			name: "request from another origin", cfg: on, req: post("https://evil.example"),
			wantStatus: http.StatusTeapot,
			want:       map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Credentials": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := CORS(tt.cfg, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			got := map[string]string{}
			for k := range tt.want {
				got[k] = strings.Join(rec.Header().Values(k), ", ")
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("headers (-got +want):\n%s", diff)
			}
		})
	}
}

func TestCORSConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cors CORSConfig
		want []string // substrings of the error; nil means valid
	}{
		{name: "off, empty", cors: CORSConfig{}},
		{name: "exact and pattern", cors: CORSConfig{Enabled: true, AllowedOrigins: []string{"http://127.0.0.1:3000", "https://*.example.com"}}},
		{name: "any origin without credentials", cors: CORSConfig{Enabled: true, AllowedOrigins: []string{"*"}}},
		{name: "on without origins", cors: CORSConfig{Enabled: true}, want: []string{"cors.allowed_origins: required when enabled"}},
		{name: "not an origin", cors: CORSConfig{Enabled: true, AllowedOrigins: []string{"app.example.com", "https://a.example/path", "https://*.*.example"}},
			want: []string{`cors.allowed_origins[0]: "app.example.com" is not an origin`, `cors.allowed_origins[1]`, `cors.allowed_origins[2]: "https://*.*.example" has more than one *`}},
		{name: "any origin with credentials", cors: CORSConfig{Enabled: true, AllowedOrigins: []string{"*"}, AllowCredentials: true},
			want: []string{`cors.allowed_origins[0]: "*" cannot be used with allow_credentials`}},
		{name: "bad method, header, max age", cors: CORSConfig{AllowedMethods: []string{"post"}, AllowedHeaders: []string{"a b"}, ExposedHeaders: []string{""}, MaxAge: -time.Second},
			want: []string{"cors.allowed_methods[0]", "cors.allowed_headers[0]", "cors.exposed_headers[0]", "cors.max_age: must be >= 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Config{CORS: tt.cors}.WithDefaults().Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

// A response from the GraphQL handler behind CORS varies by Origin (CORS's) and by Accept and
// Authorization (the handler's): each adds its own, none replaces another's.
func TestVaryKeepsEveryReason(t *testing.T) {
	cfg := Config{CORS: CORSConfig{Enabled: true, AllowedOrigins: []string{"https://app.example.com"}}}
	h := CORS(cfg, newTestHandler(t, cfg, Deps{}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	got := map[string]bool{}
	for _, v := range rec.Result().Header.Values("Vary") {
		for part := range strings.SplitSeq(v, ",") {
			got[strings.TrimSpace(part)] = true
		}
	}
	for _, want := range []string{"Origin", "Accept", "Authorization"} {
		if !got[want] {
			t.Errorf("Vary %q lacks %s", rec.Result().Header.Values("Vary"), want)
		}
	}
}
