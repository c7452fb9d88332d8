package e2e

import (
	"mime"
	"net/http"
	"testing"
)

// TestUnauthenticatedFollowsAccept: the 401 of bad credentials is written in the media type the client
// negotiated (the auth middleware runs after the transport decoded the request), with its challenge.
func TestUnauthenticatedFollowsAccept(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, accept, wantType string
	}{
		{name: "no Accept", wantType: "application/json"},
		{name: "json", accept: "application/json", wantType: "application/json"},
		{name: "graphql-response+json", accept: "application/graphql-response+json", wantType: "application/graphql-response+json"},
		{name: "both, graphql-response+json preferred", accept: "application/json;q=0.5, application/graphql-response+json", wantType: "application/graphql-response+json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{"Authorization": {"Bearer not.a.jwt"}}
			if tt.accept != "" {
				hdr.Set("Accept", tt.accept)
			}
			e.cluster.ResetCalls()
			resp := e.queryWith(t, hdr, `{ topProducts(first: 1) { upc } }`, nil)
			if resp.Status != http.StatusUnauthorized || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || resp.Data != nil {
				t.Fatalf("status %d, body %s; want 401 UNAUTHENTICATED without data", resp.Status, resp.Raw)
			}
			if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != tt.wantType {
				t.Errorf("Content-Type = %q, want %s", resp.Header.Get("Content-Type"), tt.wantType)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got == "" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("WWW-Authenticate = %q, Cache-Control = %q", got, resp.Header.Get("Cache-Control"))
			}
			if n := len(dataCalls(e.cluster.Calls())); n != 0 {
				t.Errorf("%d services were called", n)
			}
		})
	}
}
