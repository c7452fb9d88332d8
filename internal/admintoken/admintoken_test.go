package admintoken

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequire(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tests := []struct {
		token, auth string
		want        int
	}{
		{"s3cret-token", "", http.StatusUnauthorized},
		{"s3cret-token", "Bearer nope", http.StatusUnauthorized},
		{"s3cret-token", "s3cret-token", http.StatusUnauthorized}, // no scheme
		{"s3cret-token", "Bearer s3cret-token", http.StatusNoContent},
		{"", "", http.StatusNoContent}, // no token: open
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/admin/x", nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		w := httptest.NewRecorder()
		Require(tt.token, ok).ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("token %q, Authorization %q: %d, want %d", tt.token, tt.auth, w.Code, tt.want)
		}
		if w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
			t.Error("401 without a challenge")
		}
	}
}
