package graph

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trellisgw/trellis/cache"
)

func TestWithDefaults(t *testing.T) {
	on, off := true, false
	want := Config{
		Mode:              ModeDevelopment,
		Addr:              "127.0.0.1:8080",
		AdminAddr:         "127.0.0.1:9090",
		ReadHeaderTimeout: 5 * time.Second,
		RequestTimeout:    30 * time.Second,
		ShutdownTimeout:   10 * time.Second,
		MaxBodyBytes:      1 << 20,
		MaxTokens:         5000,
		DocumentCache:     cache.Config{Size: 1000},
		Limits:            Limits{MaxDepth: 20, MaxAliases: 30, MaxRootFields: 20, MaxDirectives: 50, MaxFields: 2000},
		CSRFPrevention: CSRFConfig{Enabled: &on,
			RequiredHeaders: []string{"X-Apollo-Operation-Name", "Apollo-Require-Preflight", "GraphQL-Preflight"}},
		Batching: BatchConfig{MaxOperations: 10},
		CORS: CORSConfig{AllowedOrigins: []string{}, AllowedMethods: []string{"GET", "POST"},
			AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", "X-API-Key", "X-Request-Id",
				"X-Trellis-Trace", "traceparent", "tracestate", "baggage"},
			ExposedHeaders: []string{"X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After"},
			MaxAge:         10 * time.Minute},
	}
	if diff := cmp.Diff(Config{}.WithDefaults(), want); diff != "" {
		t.Errorf("Config{}.WithDefaults() (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(DefaultConfig(), want); diff != "" {
		t.Errorf("DefaultConfig() (-got +want):\n%s", diff)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}

	set := Config{
		Mode:              ModeProduction,
		Addr:              "0.0.0.0:9000",
		AdminAddr:         "127.0.0.1:9901",
		ReadHeaderTimeout: time.Second,
		RequestTimeout:    2 * time.Second,
		ShutdownTimeout:   3 * time.Second,
		MaxBodyBytes:      4096,
		MaxTokens:         99,
		DocumentCache:     cache.Config{Size: 7, TTL: time.Minute},
		Introspection:     &on,
		ShutdownDelay:     time.Second,
		Limits:            Limits{MaxDepth: 1, MaxAliases: 2, MaxRootFields: 3, MaxDirectives: 4, MaxFields: 5},
		CSRFPrevention:    CSRFConfig{Enabled: &off, RequiredHeaders: []string{}},
		Batching:          BatchConfig{Enabled: true, MaxOperations: 5},
		CORS: CORSConfig{Enabled: true, AllowedOrigins: []string{"https://a.example"}, AllowedMethods: []string{"POST"},
			AllowedHeaders: []string{"X-A"}, ExposedHeaders: []string{}, AllowCredentials: true, MaxAge: time.Second},
	}
	if diff := cmp.Diff(set.WithDefaults(), set); diff != "" {
		t.Errorf("WithDefaults changed set fields (-got +want):\n%s", diff)
	}
	// Negative values are not defaults: they stay, for Validate to report.
	neg := Config{MaxBodyBytes: -1, RequestTimeout: -time.Second}.WithDefaults()
	if neg.MaxBodyBytes != -1 || neg.RequestTimeout != -time.Second {
		t.Errorf("WithDefaults replaced negative values: %+v", neg)
	}
}

func TestValidate(t *testing.T) {
	valid := DefaultConfig()
	tests := []struct {
		name   string
		modify func(*Config)
		want   []string // every line of the error, in any order; nil means valid
	}{
		{name: "defaults", modify: func(*Config) {}},
		{name: "zero durations are allowed", modify: func(c *Config) { c.RequestTimeout, c.ShutdownTimeout = 0, 0 }},
		{name: "unknown mode", modify: func(c *Config) { c.Mode = "prod" },
			want: []string{`mode: must be "development" or "production", got "prod"`}},
		{name: "missing addr", modify: func(c *Config) { c.Addr = "" },
			want: []string{"addr: required, e.g. 127.0.0.1:8080"}},
		{name: "admin_addr not host:port", modify: func(c *Config) { c.AdminAddr = "9090" },
			want: []string{`admin_addr: "9090" is not host:port, e.g. 127.0.0.1:9090`}},
		{name: "admin_addr is addr", modify: func(c *Config) { c.AdminAddr = c.Addr },
			want: []string{`admin_addr: "127.0.0.1:8080" is addr too: give the admin surface its own port, or set admin_on_main_listener`}},
		{name: "admin_addr unused on the main listener", modify: func(c *Config) { c.AdminAddr, c.AdminOnMainListener = "", true }},
		{name: "admin_token too short, never echoed", modify: func(c *Config) { c.AdminToken = "hunter2" },
			want: []string{"admin_token: too short, use at least 16 random characters"}},
		{name: "both on random ports", modify: func(c *Config) { c.Addr, c.AdminAddr = "127.0.0.1:0", "127.0.0.1:0" }},
		{name: "negative read_header_timeout", modify: func(c *Config) { c.ReadHeaderTimeout = -time.Second },
			want: []string{"read_header_timeout: must be >= 0 (0 = default), got -1s"}},
		{name: "negative request_timeout", modify: func(c *Config) { c.RequestTimeout = -time.Millisecond },
			want: []string{"request_timeout: must be >= 0 (0 = default), got -1ms"}},
		{name: "negative shutdown_timeout", modify: func(c *Config) { c.ShutdownTimeout = -time.Minute },
			want: []string{"shutdown_timeout: must be >= 0 (0 = default), got -1m0s"}},
		{name: "negative max_body_bytes", modify: func(c *Config) { c.MaxBodyBytes = -5 },
			want: []string{"max_body_bytes: must be >= 0 (0 = default), got -5"}},
		{name: "document cache size", modify: func(c *Config) { c.DocumentCache.Size = -1 },
			want: []string{"document_cache.size: must be > 0, got -1"}},
		{name: "document cache ttl", modify: func(c *Config) { c.DocumentCache.TTL = -time.Second },
			want: []string{"document_cache.ttl: must be >= 0 (0 = no expiry), got -1s"}},
		{name: "negative limits", modify: func(c *Config) {
			c.Limits.MaxDepth, c.Limits.MaxDirectives, c.Batching.MaxOperations, c.Limits.MaxFields = -1, -2, -3, -4
		},
			want: []string{"limits.max_depth: must be >= 0 (0 = default), got -1", "limits.max_directives: must be >= 0 (0 = default), got -2",
				"limits.max_fields: must be >= 0 (0 = default), got -4",
				"batching.max_operations: must be >= 0 (0 = default), got -3"}},
		{name: "negative shutdown_delay", modify: func(c *Config) { c.ShutdownDelay = -time.Second },
			want: []string{"shutdown_delay: must be >= 0, got -1s"}},
		{name: "bad preflight header", modify: func(c *Config) { c.CSRFPrevention.RequiredHeaders = []string{"X-Ok", "a b"} },
			want: []string{`csrf_prevention.required_headers[1]: "a b" is not a header name`}},
		{name: "every problem at once", modify: func(c *Config) {
			*c = Config{Mode: ModeDevelopment, ReadHeaderTimeout: -1, RequestTimeout: -1, ShutdownTimeout: -1, MaxBodyBytes: -1,
				DocumentCache: cache.Config{Size: 0, TTL: -1}}
		}, want: []string{
			"addr: required, e.g. 127.0.0.1:8080",
			`admin_addr: "" is not host:port, e.g. 127.0.0.1:9090`,
			"read_header_timeout: must be >= 0 (0 = default), got -1ns",
			"request_timeout: must be >= 0 (0 = default), got -1ns",
			"shutdown_timeout: must be >= 0 (0 = default), got -1ns",
			"max_body_bytes: must be >= 0 (0 = default), got -1",
			"document_cache.size: must be > 0, got 0",
			"document_cache.ttl: must be >= 0 (0 = no expiry), got -1ns",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.modify(&c)
			err := c.Validate()
			if tt.want == nil {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if diff := cmp.Diff(got, tt.want, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("Validate() lines (-got +want):\n%s", diff)
			}
		})
	}
}

func TestIntrospectionEnabled(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name string
		cfg  Config
		want bool
	}{
		{name: "development default", cfg: Config{}, want: true},
		{name: "production default", cfg: Config{Mode: ModeProduction}, want: false},
		{name: "production, turned on", cfg: Config{Mode: ModeProduction, Introspection: &on}, want: true},
		{name: "development, turned off", cfg: Config{Introspection: &off}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.IntrospectionEnabled(); got != tt.want {
				t.Errorf("IntrospectionEnabled() = %t, want %t", got, tt.want)
			}
			if got := tt.cfg.WithDefaults().IntrospectionEnabled(); got != tt.want {
				t.Errorf("WithDefaults().IntrospectionEnabled() = %t, want %t", got, tt.want)
			}
		})
	}
}
