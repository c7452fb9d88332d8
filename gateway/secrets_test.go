package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/trellisgw/trellis/internal/secret"
)

// TestSecretKeys: every secret of the config is a secret.Secret, found by the one pass (so each has a
// _file twin and an environment variable) without being named in it.
func TestSecretKeys(t *testing.T) {
	c := DefaultConfig()
	want := []string{
		"auth.jwt.hs256_secret", "cache.redis.password", "persisted_queries.redis.password", "rate_limit.redis.password",
		"schema_usage.redis.password", "server.admin_token",
	}
	if diff := cmp.Diff(SecretKeys(&c), want); diff != "" {
		t.Errorf("SecretKeys (-got +want):\n%s", diff)
	}
	if got := SecretEnv("rate_limit.redis.password"); got != "TRELLIS_RATE_LIMIT_REDIS_PASSWORD" {
		t.Errorf("SecretEnv = %s", got)
	}
}

// TestSecretSources: a secret comes from the file, from its _file twin, or from the environment,
// which wins; problems name the key and never the secret.
func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	writeSecret := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	hsFile := writeSecret("hs256", "from-a-file-0123456789abcdef0123456789\n")
	pwFile := writeSecret("redis", "redis-password-from-file")
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		check   func(c Config) map[string]string // got -> want
		wantErr []string
	}{
		{
			name: "inline",
			yaml: "auth: {jwt: {hs256_secret: inline-secret-0123456789abcdef0123}}\n",
			check: func(c Config) map[string]string {
				return map[string]string{string(c.Auth.JWT.HS256Secret): "inline-secret-0123456789abcdef0123"}
			},
		},
		{
			name: "files, trailing newline dropped",
			yaml: "auth: {jwt: {hs256_secret_file: " + hsFile + "}}\nrate_limit: {redis: {password_file: " + pwFile + "}}\n",
			check: func(c Config) map[string]string {
				return map[string]string{
					string(c.Auth.JWT.HS256Secret):            "from-a-file-0123456789abcdef0123456789",
					string(c.RateLimit.Redis.Password):        "redis-password-from-file",
					string(c.PersistedQueries.Redis.Password): "",
				}
			},
		},
		{
			name: "environment wins over the file and the _file",
			yaml: "auth: {jwt: {hs256_secret_file: " + hsFile + "}}\npersisted_queries: {redis: {password: inline}}\n",
			env: map[string]string{
				"TRELLIS_AUTH_JWT_HS256_SECRET":            "from-the-env-0123456789abcdef0123456789",
				"TRELLIS_PERSISTED_QUERIES_REDIS_PASSWORD": "pq-from-env",
				"TRELLIS_SERVER_ADMIN_TOKEN":               "admin-token-from-env",
			},
			check: func(c Config) map[string]string {
				return map[string]string{
					string(c.Auth.JWT.HS256Secret):            "from-the-env-0123456789abcdef0123456789",
					string(c.PersistedQueries.Redis.Password): "pq-from-env",
					string(c.Server.AdminToken):               "admin-token-from-env",
				}
			},
		},
		{
			name: "legacy variables",
			env: map[string]string{
				"TRELLIS_AUTH_HS256_SECRET": "legacy-env-0123456789abcdef0123456789",
				"TRELLIS_ADMIN_TOKEN":       "legacy-admin-token-0123",
			},
			check: func(c Config) map[string]string {
				return map[string]string{
					string(c.Auth.JWT.HS256Secret): "legacy-env-0123456789abcdef0123456789",
					string(c.Server.AdminToken):    "legacy-admin-token-0123",
				}
			},
		},
		{
			name:    "both the secret and its file",
			yaml:    "auth:\n  jwt:\n    hs256_secret: inline-secret-0123456789abcdef0123\n    hs256_secret_file: " + hsFile + "\n",
			wantErr: []string{"auth.jwt.hs256_secret_file (line 12): auth.jwt.hs256_secret is set too; keep one"},
		},
		{
			name:    "missing file",
			yaml:    "rate_limit: {redis: {password_file: /nonexistent/redis}}\n",
			wantErr: []string{"rate_limit.redis.password_file (line 9): open /nonexistent/redis: no such file or directory"},
		},
		{
			name:    "_file of a key that is no secret",
			yaml:    "server: {addr_file: /etc/hostname}\n",
			wantErr: []string{"server.addr_file (line 9): unknown key"},
		},
		{
			name:    "too short from the environment",
			env:     map[string]string{"TRELLIS_SERVER_ADMIN_TOKEN": "x7q2k"},
			wantErr: []string{"server.admin_token: too short"},
		},
		{
			name:    "the redacted placeholder pasted back",
			yaml:    "server: {admin_token: " + secret.Redacted + "}\n",
			wantErr: []string{"server.admin_token: \"<redacted>\" is what `gateway config print` shows"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"TRELLIS_AUTH_HS256_SECRET", "TRELLIS_ADMIN_TOKEN"} {
				t.Setenv(k, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := Parse(strings.NewReader(upstreamsYAML + tt.yaml))
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("accepted")
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error lacks %q:\n%v", want, err)
					}
				}
				for _, v := range tt.env {
					if strings.Contains(err.Error(), v) {
						t.Errorf("the error quotes a secret: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for got, want := range tt.check(c) {
				if got != want {
					t.Errorf("secret = %q, want %q", got, want)
				}
			}
			out, err := yaml.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tt.env {
				if strings.Contains(string(out), v) {
					t.Errorf("the marshalled config shows a secret:\n%s", out)
				}
			}
		})
	}
}
