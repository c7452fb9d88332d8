package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel"
	"gopkg.in/yaml.v3"

	"github.com/trellisgw/trellis/telemetry"
)

// TestMetricsEndpoint runs the gateway as serve does, sends a known query twice and a broken one once,
// and parses GET /metrics with the Prometheus text parser.
func TestMetricsEndpoint(t *testing.T) {
	cluster := startCluster(t)
	cfgPath := writeConfig(t, clusterAddrs(cluster))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	base, admin, done := startRun(t, ctx, []string{"-config", cfgPath}, &stderr)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run = %v", err)
		}
	}()
	hc := newHTTPClient()
	// The admin surface is on its own listener only: nothing of it on the GraphQL one.
	for _, path := range []string{"/metrics", "/admin/usage", "/admin/operations"} {
		if got := getStatus(t, hc, base, path); got != http.StatusNotFound {
			t.Errorf("GET %s on the GraphQL listener = %d, want 404", path, got)
		}
		if got := getStatus(t, hc, admin, path); got != http.StatusOK {
			t.Errorf("GET %s on the admin listener = %d, want 200", path, got)
		}
	}

	named := "query Cross " + crossQuery
	postQuery(t, hc, base, named)
	postQuery(t, hc, base, named)
	// A validation error: no data, so outcome error; no operation ran, so operation unknown.
	if resp, err := tryQuery(hc, base, "{ nope }"); err == nil && (len(resp.Errors) == 0 || resp.Data != nil) {
		t.Fatalf("an invalid query answered %+v, want errors and no data", resp)
	}
	families := scrape(t, hc, admin)

	tests := []struct {
		name   string
		family string
		labels map[string]string
		want   float64 // counter or gauge value, or histogram sample count
	}{
		{"requests of Cross", "trellis_graphql_requests_total", map[string]string{"operation": "Cross", "outcome": "success"}, 2},
		{"refused request", "trellis_graphql_requests_total", map[string]string{"operation": "unknown", "outcome": "error"}, 1},
		{"latency of Cross", "trellis_graphql_duration_seconds", map[string]string{"operation": "Cross", "outcome": "success"}, 2},
		{"nothing in flight", "trellis_graphql_in_flight", map[string]string{}, 0},
		{"parsed once", "trellis_cache_misses_total", map[string]string{"cache": "documents"}, 2},
		{"then cached", "trellis_cache_hits_total", map[string]string{"cache": "documents"}, 1},
		{"inventory batches", "trellis_loader_batch_size", map[string]string{"loader": "stock_by_upc"}, 2},
		{"resource", "target_info", map[string]string{"service_name": "trellis-gateway"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := sample(families[tt.family], tt.labels)
			if tt.want == 0 && !ok {
				return // a counter never incremented may be absent
			}
			if !ok {
				t.Fatalf("no %s series with labels %v; families: %v", tt.family, tt.labels, names(families))
			}
			if got != tt.want {
				t.Errorf("%s%v = %g, want %g", tt.family, tt.labels, got, tt.want)
			}
		})
	}
	for name := range families {
		if strings.HasPrefix(name, "trellis") && !strings.HasPrefix(name, "trellis_") {
			t.Errorf("series %s is not prefixed trellis_", name)
		}
	}
	for _, m := range families["trellis_graphql_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.HasPrefix(l.GetName(), "otel_scope") {
				t.Errorf("scope label %s on trellis_graphql_requests_total: WithoutScopeInfo is lost", l.GetName())
			}
		}
	}
}

func scrape(t *testing.T, hc *http.Client, base string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain") // the classic text format
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET /metrics is not the Prometheus text format: %v", err)
	}
	return families
}

// sample returns the value of the first series of f that has all of labels: a counter's or gauge's
// value, a histogram's sample count.
func sample(f *dto.MetricFamily, labels map[string]string) (float64, bool) {
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range labels {
			if have[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func names(families map[string]*dto.MetricFamily) []string {
	var out []string
	for name := range families {
		if strings.HasPrefix(name, "trellis") {
			out = append(out, name)
		}
	}
	return out
}

func TestOTLPEndpoint(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		env        map[string]string
		want       string
		wantOn     bool
	}{
		{"nothing", "", nil, "", false},
		{"config", "http://c:4318/v1/traces", nil, "http://c:4318/v1/traces", true},
		{"standard variable", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "", true},
		{"traces variable", "", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, "", true},
		{"exporter none wins", "http://c:4318/v1/traces", map[string]string{"OTEL_TRACES_EXPORTER": "none"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"} {
				t.Setenv(k, tt.env[k])
			}
			got, on := otlpEndpoint(tt.configured)
			if got != tt.want || on != tt.wantOn {
				t.Errorf("otlpEndpoint(%q) = %q, %v; want %q, %v", tt.configured, got, on, tt.want, tt.wantOn)
			}
		})
	}
}

// TestTracesReachTheCollector points the exporter at a fake OTLP/HTTP collector and checks that a span
// arrives there when the SDK shuts down.
func TestTracesReachTheCollector(t *testing.T) {
	got := make(chan string, 16)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type")
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	cfg := telemetry.Config{Traces: telemetry.TracesConfig{Endpoint: collector.URL + "/v1/traces"}}
	sdk, err := setupTelemetry(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !sdk.exporting {
		t.Fatal("an endpoint is configured but nothing is exported")
	}
	_, span := otel.Tracer("test").Start(context.Background(), "probe")
	span.End()
	if err := sdk.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-got:
		if req != "POST /v1/traces application/x-protobuf" {
			t.Errorf("collector got %q", req)
		}
	default:
		t.Fatal("the collector received nothing")
	}
}

// seriesOfOtherPackages are the series the alert rules and the dashboard use that the query of
// TestOpsKitNamesExist does not produce: counters that appear only once incremented (ejections,
// retries, refusals, waits at the admission gate) and rate-limit decisions (rate_limit.enabled is off
// by default).
var seriesOfOtherPackages = map[string]bool{
	"trellis_upstream_ejections_total":  true,
	"trellis_upstream_retries_total":    true,
	"trellis_ratelimit_decisions_total": true,
	"trellis_graphql_refused_total":     true,
	"trellis_graphql_queued":            true,
}

// TestOpsKitNamesExist checks that every trellis_ series the alert rules and the dashboard query is
// one the gateway serves (or one of seriesOfOtherPackages), so that a renamed instrument cannot leave
// an alert silently watching nothing.
func TestOpsKitNamesExist(t *testing.T) {
	cluster := startCluster(t)
	cfgPath := writeConfig(t, clusterAddrs(cluster))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	base, admin, done := startRun(t, ctx, []string{"-config", cfgPath}, &stderr)
	defer func() {
		cancel()
		<-done
	}()
	hc := newHTTPClient()
	checkCrossQuery(t, hc, base)
	checkCrossQuery(t, hc, base) // a document cache hit
	served := scrape(t, hc, admin)

	name := regexp.MustCompile(`trellis_[a-z_]+`)
	for _, file := range []string{"../../ops/prometheus/alerts.yml", "../../ops/grafana/trellis.json"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range name.FindAllString(string(raw), -1) {
			family := n
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if f, ok := strings.CutSuffix(n, suffix); ok && (served[f] != nil || seriesOfOtherPackages[f]) {
					family = f
				}
			}
			if served[family] == nil && !seriesOfOtherPackages[family] {
				t.Errorf("%s uses %s, which the gateway does not serve", file, n)
			}
		}
	}
}

// TestDashboardQueriesParse checks every query of the Grafana dashboard with promtool, as recording
// rules (Grafana's variables replaced by plain values). Skipped without promtool (make check-alerts
// installs it).
func TestDashboardQueriesParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed")
	}
	raw, err := os.ReadFile("../../ops/grafana/trellis.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	vars := strings.NewReplacer("$__rate_interval", "5m", "$operation", ".*", "$upstream", ".*")
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			rules = append(rules, rule{Record: fmt.Sprintf("dashboard:query%d", len(rules)), Expr: vars.Replace(tg.Expr)})
		}
	}
	if len(rules) < 10 {
		t.Fatalf("%d queries in the dashboard: did its layout change?", len(rules))
	}
	out, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard.yml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules over the dashboard's queries: %v\n%s", err, msg)
	}
}

// TestMetricsOnMainListenerWhenConfigured: with server.admin_on_main_listener the admin surface is on
// the GraphQL listener (the old behaviour) and no admin listener starts.
func TestMetricsOnMainListenerWhenConfigured(t *testing.T) {
	cluster := startCluster(t)
	raw, err := os.ReadFile(writeConfig(t, clusterAddrs(cluster)))
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := writeFile(t, "main.yaml", strings.Replace(string(raw), "  admin_addr: 127.0.0.1:0\n", "  admin_on_main_listener: true\n", 1))
	ctx, cancel := context.WithCancel(context.Background())
	stdout := newLineWriter()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-config", cfgPath}, stdout, &stderr) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run = %v", err)
		}
	}()
	var base string
	select {
	case line := <-stdout.lines:
		m := listening.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("stdout line %q does not say where the gateway listens", line)
		}
		base = m[1]
	case err := <-done:
		t.Fatalf("run = %v; stderr:\n%s", err, &stderr)
	}
	hc := newHTTPClient()
	if families := scrape(t, hc, base); families["go_goroutines"] == nil {
		t.Error("GET /metrics on the GraphQL listener lacks go_goroutines")
	}
	if strings.Contains(stderr.String(), "admin surface") {
		t.Errorf("an admin listener started:\n%s", &stderr)
	}
}
