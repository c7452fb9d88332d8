package restkit

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestHandlerContinuesTheTrace(t *testing.T) {
	tests := []struct {
		name, traceparent, want string
	}{
		{name: "traced call", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", want: "4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "no traceparent", want: ""},
		{name: "malformed", traceparent: "garbage", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := "unset"
			h := NewHandler([]Route{{Method: http.MethodGet, Path: "/users", Handler: func(_ http.ResponseWriter, r *http.Request) {
				got = ""
				if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
					got = sc.TraceID().String()
				}
			}}})
			req := httptest.NewRequest(http.MethodGet, "/users", nil)
			if tt.traceparent != "" {
				req.Header.Set("Traceparent", tt.traceparent)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != tt.want {
				t.Errorf("handler saw trace %q, want %q", got, tt.want)
			}
		})
	}
}
