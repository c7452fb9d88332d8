package rest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/upstreams/rest"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name     string
		cfg      rest.Config
		wantKeys []string // nil: valid
	}{
		{"zero", rest.Config{}, nil},
		{"defaults", rest.Config{}.WithDefaults(), nil},
		{"max_idle_conns_per_host", rest.Config{MaxIdleConnsPerHost: -1}, []string{"max_idle_conns_per_host"}},
		{"max_conns_per_host", rest.Config{MaxConnsPerHost: -1}, []string{"max_conns_per_host"}},
		{"idle_conn_timeout", rest.Config{IdleConnTimeout: -time.Second}, []string{"idle_conn_timeout"}},
		{"dial_timeout", rest.Config{DialTimeout: -time.Second}, []string{"dial_timeout"}},
		{"max_response_bytes", rest.Config{MaxResponseBytes: -1}, []string{"max_response_bytes"}},
		{"all at once", rest.Config{MaxIdleConnsPerHost: -1, MaxConnsPerHost: -1, IdleConnTimeout: -1, DialTimeout: -1, MaxResponseBytes: -1},
			[]string{"max_idle_conns_per_host", "max_conns_per_host", "idle_conn_timeout", "dial_timeout", "max_response_bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantKeys == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors naming %v", tt.wantKeys)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.wantKeys) {
				t.Errorf("Validate() = %q: %d errors, want %d", err, len(lines), len(tt.wantKeys))
			}
			for _, key := range tt.wantKeys {
				if !strings.Contains(err.Error(), key+": ") {
					t.Errorf("Validate() = %q does not name %s", err, key)
				}
			}
		})
	}
}

func TestConfigWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   rest.Config
		want rest.Config
	}{
		{"zero", rest.Config{}, rest.Config{
			MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, IdleConnTimeout: 90 * time.Second,
			DialTimeout: time.Second, MaxResponseBytes: 8 << 20,
		}},
		{"set values kept", rest.Config{
			MaxIdleConnsPerHost: 4, MaxConnsPerHost: 8, IdleConnTimeout: time.Minute, DialTimeout: 3 * time.Second, MaxResponseBytes: 100,
		}, rest.Config{
			MaxIdleConnsPerHost: 4, MaxConnsPerHost: 8, IdleConnTimeout: time.Minute, DialTimeout: 3 * time.Second, MaxResponseBytes: 100,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.WithDefaults()
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("WithDefaults (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(got.WithDefaults(), got); diff != "" {
				t.Errorf("WithDefaults is not idempotent (-got +want):\n%s", diff)
			}
		})
	}
}
