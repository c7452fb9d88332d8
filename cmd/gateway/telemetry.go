package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/trellisgw/trellis/telemetry"
)

// telemetrySDK is the OpenTelemetry SDK of the process: the tracer and meter providers installed as
// the globals every package's instruments report to, and the Prometheus registry behind GET /metrics.
type telemetrySDK struct {
	tracers   *sdktrace.TracerProvider
	meters    *sdkmetric.MeterProvider
	registry  *prometheus.Registry
	exporting bool // traces go to an OTLP endpoint
}

// setupTelemetry builds the SDK from cfg and installs it globally: the W3C tracecontext and baggage
// propagators, the tracer provider (an OTLP/HTTP exporter when telemetry.traces.endpoint or the
// OTEL_EXPORTER_OTLP_* variables name one; otherwise spans get ids but nothing is recorded), and the
// meter provider read by the Prometheus exporter.
//
// Metric names: instruments are named trellis.<area>.<name>; the exporter (UnderscoreEscapingWithSuffixes,
// without scope labels) serves them as trellis_<area>_<name>, with _total on counters and the unit
// suffix (_seconds) on histograms with a unit, e.g. trellis_graphql_requests_total and
// trellis_graphql_duration_seconds_bucket.
func setupTelemetry(ctx context.Context, cfg telemetry.Config) (*telemetrySDK, error) {
	cfg = cfg.WithDefaults()
	res, err := resource.New(ctx,
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME
		resource.WithTelemetrySDK(),
		resource.WithAttributes(
			attribute.String("service.name", cfg.ServiceName),
			attribute.String("service.version", buildVersion()),
			attribute.String("service.instance.id", instanceID()),
		),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(registry),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
		otelprom.WithoutScopeInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithResource(res))

	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	exporting := false
	if endpoint, ok := otlpEndpoint(cfg.Traces.Endpoint); ok {
		var eopts []otlptracehttp.Option
		if endpoint != "" {
			eopts = append(eopts, otlptracehttp.WithEndpointURL(endpoint))
		}
		exp, err := otlptracehttp.New(ctx, eopts...) // reads the other OTEL_EXPORTER_OTLP_* variables
		if err != nil {
			_ = meters.Shutdown(ctx)
			return nil, fmt.Errorf("telemetry: otlp trace exporter: %w", err)
		}
		exporting = true
		topts = append(topts, sdktrace.WithBatcher(exp),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Traces.SampleRatio))))
	} else {
		// No exporter: spans still get trace and span ids (for the logs and the upstreams), but none is
		// recorded, so they cost almost nothing.
		topts = append(topts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	tracers := sdktrace.NewTracerProvider(topts...)

	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetTracerProvider(tracers)
	otel.SetMeterProvider(meters)
	return &telemetrySDK{tracers: tracers, meters: meters, registry: registry, exporting: exporting}, nil
}

// otlpEndpoint returns the configured endpoint and whether traces are exported at all: with an
// endpoint in the config, or one in the standard variables (then "" lets the exporter read them);
// OTEL_TRACES_EXPORTER=none turns export off.
func otlpEndpoint(configured string) (string, bool) {
	if os.Getenv("OTEL_TRACES_EXPORTER") == "none" || os.Getenv("OTEL_SDK_DISABLED") == "true" {
		return "", false
	}
	if configured != "" {
		return configured, true
	}
	if os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" {
		return "", true
	}
	return "", false
}

// metricsHandler serves the Prometheus exposition of the registry (GET /metrics on the admin surface).
func (s *telemetrySDK) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
}

// shutdown flushes spans still queued for export and stops the providers.
func (s *telemetrySDK) shutdown(ctx context.Context) error {
	return errors.Join(s.tracers.Shutdown(ctx), s.meters.Shutdown(ctx))
}

// buildVersion returns the main module's version from the build info ("(devel)" for a local build).
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "unknown"
}

// instanceID returns a random id for this process, the service.instance.id resource attribute.
func instanceID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	host, _ := os.Hostname()
	if host == "" {
		host = "gateway"
	}
	return host + "-" + hex.EncodeToString(b[:])
}
