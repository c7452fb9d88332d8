package telemetry

import (
	"errors"
	"fmt"
	"net/url"
)

// Config is the `telemetry` section of the gateway's config file.
type Config struct {
	// ServiceName is the service.name resource attribute of traces and metrics. Default "trellis-gateway".
	ServiceName string `yaml:"service_name"`
	// Traces configures the trace exporter and how much is traced.
	Traces TracesConfig `yaml:"traces"`
	// Metrics bounds the metrics served at GET /metrics.
	Metrics MetricsConfig `yaml:"metrics"`
	// Analytics configures the per-operation analytics at GET /admin/operations.
	Analytics AnalyticsConfig `yaml:"analytics"`
}

// TracesConfig configures tracing.
type TracesConfig struct {
	// Endpoint is the OTLP/HTTP traces endpoint, e.g. "http://127.0.0.1:4318/v1/traces". Empty means
	// the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT variables decide;
	// when neither is set, no trace is exported (spans still carry ids, for logs and propagation).
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the share of new traces that are recorded and exported, in (0, 1]; a request
	// that arrives with a sampled W3C traceparent is always recorded. Default 1.
	SampleRatio float64 `yaml:"sample_ratio"`
	// FieldSpans adds a span per resolver field. Costly: for debugging only. Default false.
	FieldSpans bool `yaml:"field_spans"`
}

// MetricsConfig bounds the metrics.
type MetricsConfig struct {
	// MaxOperationNames is how many distinct operation names become label values; later names are
	// counted as "other". Default 100.
	MaxOperationNames int `yaml:"max_operation_names"`
}

// AnalyticsConfig configures the per-operation analytics.
type AnalyticsConfig struct {
	// Samples is how many recent latencies each operation keeps for its p50 and p95. Default 512.
	Samples int `yaml:"samples"`
}

// DefaultConfig returns the defaults of every field.
func DefaultConfig() Config { return Config{}.WithDefaults() }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.ServiceName == "" {
		c.ServiceName = "trellis-gateway"
	}
	if c.Traces.SampleRatio == 0 {
		c.Traces.SampleRatio = 1
	}
	if c.Metrics.MaxOperationNames == 0 {
		c.Metrics.MaxOperationNames = 100
	}
	if c.Analytics.Samples == 0 {
		c.Analytics.Samples = 512
	}
	return c
}

// maxOperationNames bounds telemetry.metrics.max_operation_names: every name costs series per outcome
// and histogram bucket.
const maxOperationNames = 10000

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.Traces.Endpoint != "" {
		u, err := url.Parse(c.Traces.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("traces.endpoint: want an http(s) URL such as http://127.0.0.1:4318/v1/traces, got %q", c.Traces.Endpoint))
		}
	}
	if c.Traces.SampleRatio < 0 || c.Traces.SampleRatio > 1 {
		errs = append(errs, fmt.Errorf("traces.sample_ratio: must be in (0, 1] (0 = default 1), got %g", c.Traces.SampleRatio))
	}
	if c.Metrics.MaxOperationNames < 0 || c.Metrics.MaxOperationNames > maxOperationNames {
		errs = append(errs, fmt.Errorf("metrics.max_operation_names: must be in [0, %d] (0 = default), got %d", maxOperationNames, c.Metrics.MaxOperationNames))
	}
	if c.Analytics.Samples < 0 || c.Analytics.Samples > 1<<16 {
		errs = append(errs, fmt.Errorf("analytics.samples: must be in [0, 65536] (0 = default), got %d", c.Analytics.Samples))
	}
	return errors.Join(errs...)
}
