package restkit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCallerDeadline(t *testing.T) {
	tests := []struct {
		header  string
		wantMax time.Duration // 0 = no deadline
	}{
		{"", 0},
		{"250", 250 * time.Millisecond},
		{"0", 0},
		{"-5", 0},
		{"abc", 0},
		{"999999999", 0}, // over the cap: ignored
	}
	for _, tt := range tests {
		var got time.Duration
		h := NewHandler([]Route{{Method: http.MethodGet, Path: "/x", Handler: func(w http.ResponseWriter, r *http.Request) {
			if dl, ok := r.Context().Deadline(); ok {
				got = time.Until(dl)
			}
			WriteJSON(w, http.StatusOK, map[string]string{})
		}}})
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		if tt.header != "" {
			req.Header.Set(DeadlineHeader, tt.header)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if (tt.wantMax == 0) != (got == 0) || got > tt.wantMax {
			t.Errorf("header %q: deadline in %s, want at most %s (0 = none)", tt.header, got, tt.wantMax)
		}
	}
}
