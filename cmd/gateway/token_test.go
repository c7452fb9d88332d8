package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/auth"
	"github.com/trellisgw/trellis/graph/identity"
)

// TestTokenIsAccepted: a token minted by `gateway token` is accepted by the gateway's authenticator
// with the same config, as the given user with the given scopes.
func TestTokenIsAccepted(t *testing.T) {
	t.Setenv(gateway.SecretEnv("auth.jwt.hs256_secret"), "")
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"token", "--sub", "42", "--scope", "orders:read", "--scope", "admin", "--ttl", "5m"}, &stdout, &stderr); err != nil {
		t.Fatalf("token: %v (%s)", err, stderr.String())
	}
	tok := strings.TrimSpace(stdout.String())
	a, err := auth.New(auth.Config{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var caller *identity.Caller
	h := a.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { caller = identity.FromContext(r.Context()) }))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || caller == nil || caller.UserID != "42" || !caller.HasScope("orders:read") || !caller.HasScope("admin") {
		t.Fatalf("status %d, caller %+v", rec.Code, caller)
	}
}

func TestTokenErrors(t *testing.T) {
	dir := t.TempDir()
	prod := filepath.Join(dir, "prod.yaml")
	if err := os.WriteFile(prod, []byte("server: {mode: production}\n"+validConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(gateway.SecretEnv("auth.jwt.hs256_secret"), "")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no subject", args: []string{"token"}, wantErr: "--sub is required"},
		{name: "negative ttl", args: []string{"token", "--sub", "1", "--ttl", "-1h"}, wantErr: "ttl must be positive"},
		{name: "production without a secret", args: []string{"token", "--sub", "1", "-config", prod}, wantErr: "HS256 is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}
