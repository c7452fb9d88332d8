package telemetry

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for valid
	}{
		{"defaults", DefaultConfig(), ""},
		{"endpoint", Config{Traces: TracesConfig{Endpoint: "http://collector:4318/v1/traces"}}, ""},
		{"endpoint without scheme", Config{Traces: TracesConfig{Endpoint: "collector:4318"}}, "traces.endpoint:"},
		{"ratio above 1", Config{Traces: TracesConfig{SampleRatio: 1.5}}, "traces.sample_ratio:"},
		{"negative ratio", Config{Traces: TracesConfig{SampleRatio: -0.1}}, "traces.sample_ratio:"},
		{"too many names", Config{Metrics: MetricsConfig{MaxOperationNames: maxOperationNames + 1}}, "metrics.max_operation_names:"},
		{"negative samples", Config{Analytics: AnalyticsConfig{Samples: -1}}, "analytics.samples:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.WithDefaults().Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error starting %q", err, tt.wantErr)
			}
		})
	}
}
