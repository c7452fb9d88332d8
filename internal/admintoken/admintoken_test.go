package admintoken

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequire(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, tt := range []struct {
		name, token, header string
		want                int
	}{
		{"no token configured", "", "", http.StatusNoContent},
		{"right token", "s3cret-token-value", "Bearer s3cret-token-value", http.StatusNoContent},
		{"wrong token", "s3cret-token-value", "Bearer nope", http.StatusUnauthorized},
		{"no header", "s3cret-token-value", "", http.StatusUnauthorized},
		{"not bearer", "s3cret-token-value", "Basic s3cret-token-value", http.StatusUnauthorized},
	} {
		req := httptest.NewRequest(http.MethodGet, "/admin/x", nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		rec := httptest.NewRecorder()
		Require(tt.token, ok).ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, rec.Code, tt.want)
		}
		if tt.want == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate challenge", tt.name)
		}
	}
}
