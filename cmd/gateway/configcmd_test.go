package main

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/trellisgw/trellis/gateway"
)

const validConfig = `upstreams:
  rest:
    accounts: {url: "http://127.0.0.1:1"}
    products: {url: "http://127.0.0.1:2"}
    reviews: {url: "http://127.0.0.1:3"}
  grpc:
    inventory: {target: "127.0.0.1:4"}
    orders: {target: "127.0.0.1:5"}
`

func TestConfigValidate(t *testing.T) {
	good := writeFile(t, "good.yaml", validConfig)
	bad := writeFile(t, "bad.yaml", badConfig)
	tests := []struct {
		name       string
		args       []string
		wantStdout []string
		wantErr    []string // "" = success
	}{
		{name: "valid", args: []string{good}, wantStdout: []string{good + ": valid"}},
		{name: "the example config", args: []string{"../../config/trellis.example.yaml"},
			wantStdout: []string{"trellis.example.yaml: valid"}},
		{name: "invalid: every problem", args: []string{bad}, wantErr: append([]string{bad + ": config is invalid"}, badConfigKeys...)},
		{name: "several files: each checked", args: []string{good, bad, "/nonexistent.yaml"},
			wantStdout: []string{good + ": valid"},
			wantErr:    []string{bad + ": config is invalid", "open /nonexistent.yaml: no such file"}},
		{name: "no file", args: nil, wantErr: []string{"name the file(s) to check"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), append([]string{"config", "validate"}, tt.args...), &stdout, &stderr)
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatalf("error: %v", err)
			}
			if len(tt.wantErr) > 0 && err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}

// TestConfigPrint: the effective config, defaults filled in, every secret redacted wherever it came
// from, and valid YAML that the gateway reads back to the same settings.
func TestConfigPrint(t *testing.T) {
	const (
		fromFile  = "hs256-from-the-config-file-0123456789abcdef"
		fromEnv   = "redis-password-from-the-environment"
		fromFile2 = "the-admin-token-from-a-secret-file"
	)
	t.Setenv(gateway.SecretEnv("rate_limit.redis.password"), fromEnv)
	tokenFile := writeFile(t, "token", fromFile2+"\n")
	cfgPath := writeFile(t, "trellis.yaml", validConfig+`auth: {jwt: {hs256_secret: `+fromFile+`}}
server: {max_tokens: 777, admin_token_file: `+tokenFile+`}
`)
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"config", "print", "-config", cfgPath}, &stdout, &stderr); err != nil {
		t.Fatalf("config print: %v (%s)", err, stderr.String())
	}
	out := stdout.String()
	for _, s := range []string{fromFile, fromEnv, fromFile2} {
		if strings.Contains(out, s) {
			t.Errorf("config print shows a secret:\n%s", out)
		}
	}
	for _, want := range []string{"hs256_secret: <redacted>", "password: <redacted>", "admin_token: <redacted>",
		"max_tokens: 777", "read_header_timeout: 5s", "url: http://127.0.0.1:1",
		"# server.mode development resolves to", "#   introspection: true", "#   development_secret: true"} {
		if !strings.Contains(out, want) {
			t.Errorf("config print lacks %q:\n%s", want, out)
		}
	}
	var printed gateway.Config
	if err := yaml.Unmarshal(stdout.Bytes(), &printed); err != nil {
		t.Fatalf("config print is no config: %v", err)
	}
	if printed.Server.MaxTokens != 777 || printed.Server.RequestTimeout.String() != "30s" {
		t.Errorf("read back: %+v", printed.Server)
	}

	stdout.Reset()
	if err := run(t.Context(), []string{"config", "print"}, &stdout, &stderr); err != nil {
		t.Fatalf("config print of the built-in config: %v", err)
	}
	if !strings.Contains(stdout.String(), "addr: 127.0.0.1:8080") {
		t.Errorf("built-in config:\n%s", stdout.String())
	}
}

func TestConfigUsage(t *testing.T) {
	for _, args := range [][]string{{"config"}, {"config", "frobnicate"}, {"config", "print", "extra"}} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); err == nil {
			t.Errorf("gateway %s: no error", strings.Join(args, " "))
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"config", "help"}, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "validate FILE") {
		t.Errorf("config help: %v\n%s", err, stdout.String())
	}
}
