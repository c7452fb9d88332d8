package auth

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	valid := DefaultConfig()
	tests := []struct {
		name    string
		tweak   func(*Config)
		wantKey string // "" = valid
	}{
		{name: "defaults"},
		{name: "alg none", tweak: func(c *Config) { c.JWT.Algorithms = []string{"none"} }, wantKey: "jwt.algorithms"},
		{name: "HS512", tweak: func(c *Config) { c.JWT.Algorithms = []string{"HS512"} }, wantKey: "jwt.algorithms"},
		{name: "empty allowlist", tweak: func(c *Config) { c.JWT.Algorithms = []string{} }, wantKey: "jwt.algorithms"},
		{name: "negative leeway", tweak: func(c *Config) { c.JWT.Leeway = -1 }, wantKey: "jwt.leeway"},
		{name: "jwks url not http", tweak: func(c *Config) { c.JWT.JWKSURL = "file:///etc/keys" }, wantKey: "jwt.jwks_url"},
		{name: "short secret", tweak: func(c *Config) { c.JWT.HS256Secret = "short" }, wantKey: "jwt.hs256_secret"},
		{name: "api key header is Authorization", tweak: func(c *Config) { c.APIKeys.Header = "authorization" }, wantKey: "api_keys.header"},
		{name: "api key not hex", tweak: func(c *Config) { c.APIKeys.Keys = []APIKey{{SHA256: "xyz", ClientID: "a"}} }, wantKey: "api_keys.keys[0].sha256"},
		{name: "api key without client", tweak: func(c *Config) { c.APIKeys.Keys = []APIKey{{SHA256: hashOf("k")}} }, wantKey: "api_keys.keys[0].client_id"},
		{name: "api key twice", tweak: func(c *Config) {
			c.APIKeys.Keys = []APIKey{{SHA256: hashOf("k"), ClientID: "a"}, {SHA256: hashOf("k"), ClientID: "b"}}
		}, wantKey: "api_keys.keys[1].sha256"},
		{name: "unknown field", tweak: func(c *Config) { c.Propagate = map[string]map[string]string{"orders": {"x-email": "email"}} }, wantKey: "propagate.orders.x-email"},
		{name: "transport header", tweak: func(c *Config) { c.Propagate = map[string]map[string]string{"orders": {"Content-Type": "user_id"}} }, wantKey: "propagate.orders.Content-Type"},
		{name: "bad header name", tweak: func(c *Config) { c.Propagate = map[string]map[string]string{"orders": {"X User": "user_id"}} }, wantKey: "propagate.orders.X User"},
		{name: "admin scope with a space", tweak: func(c *Config) { c.AdminScope = "a b" }, wantKey: "admin_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			c.Propagate = nil
			c = c.WithDefaults()
			if tt.tweak != nil {
				tt.tweak(&c)
			}
			err := c.Validate()
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("invalid: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantKey+":") {
				t.Fatalf("error %v, want one naming %s", err, tt.wantKey)
			}
		})
	}
}

// TestDevSecret: development mode falls back to the development secret; production mode has no HS256
// without a secret of its own and refuses the development one.
func TestDevSecret(t *testing.T) {
	c := DefaultConfig()
	if got := string(c.HS256Key(false)); got != string(DevSecret) {
		t.Errorf("development key = %q, want the development secret", got)
	}
	if got := c.HS256Key(true); got != nil {
		t.Errorf("production key = %q, want none", got)
	}
	if err := c.ValidateMode(true); err != nil {
		t.Errorf("production without a secret: %v", err)
	}
	c.JWT.HS256Secret = DevSecret
	if err := c.ValidateMode(true); err == nil || !strings.HasPrefix(err.Error(), "jwt.hs256_secret:") {
		t.Errorf("production with the development secret: %v", err)
	}
	if _, err := New(c, true); err == nil {
		t.Error("New accepted the development secret in production mode")
	}
}
