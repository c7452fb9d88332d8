package gateway

import (
	"strings"
	"testing"

	"github.com/trellisgw/trellis/graph/auth"
)

const upstreamsYAML = `upstreams:
  rest:
    accounts: {url: "http://127.0.0.1:1"}
    products: {url: "http://127.0.0.1:2"}
    reviews: {url: "http://127.0.0.1:3"}
  grpc:
    inventory: {target: "127.0.0.1:4"}
    orders: {target: "127.0.0.1:5"}
`

// TestProductionRefusesTheDevSecret: production mode does not start with the well-known development
// secret, from the file or from the environment; development mode does.
func TestProductionRefusesTheDevSecret(t *testing.T) {
	tests := []struct {
		name, yaml, env string
		wantErr         string
	}{
		{name: "development, no secret", yaml: "server: {mode: development}\n"},
		{name: "production, no secret", yaml: "server: {mode: production}\n"},
		{name: "production, dev secret in the file", yaml: "server: {mode: production}\nauth: {jwt: {hs256_secret: " + string(auth.DevSecret) + "}}\n",
			wantErr: "auth.jwt.hs256_secret: the well-known development secret"},
		{name: "production, dev secret from the environment", yaml: "server: {mode: production}\n", env: string(auth.DevSecret),
			wantErr: "auth.jwt.hs256_secret: the well-known development secret"},
		{name: "production, own secret from the environment overrides the file", env: "an-operator-secret-0123456789abcdef",
			yaml: "server: {mode: production}\nauth: {jwt: {hs256_secret: " + string(auth.DevSecret) + "}}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(SecretEnv("auth.jwt.hs256_secret"), tt.env)
			_, err := Parse(strings.NewReader(upstreamsYAML + tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), string(auth.DevSecret)) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}
