// Package helm tests the Helm chart in trellis/: it renders the chart with a real helm binary and
// decodes every object strictly into its Kubernetes API type, so that a misspelt or misplaced field
// fails here rather than in a cluster. It is a module of its own so that the Kubernetes API packages
// stay out of the gateway's module. `make helm-check` runs it with HELM (and GATEWAY, to validate the
// rendered config file with `gateway config validate`) set.
package helm

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kinds maps apiVersion/kind to a new object of its Go type.
var kinds = map[string]func() any{
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                               func() any { return &corev1.Secret{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule": func() any { return &monitoringv1.PrometheusRule{} },
}

func TestChart(t *testing.T) {
	helm := os.Getenv("HELM")
	if helm == "" {
		t.Skip("HELM is not set: run `make helm-check`, which builds helm from the Go module proxy")
	}
	tests := []struct {
		name   string
		values string
		want   []string // kind/name of every object, sorted
		check  func(t *testing.T, objs map[string]any)
	}{
		{
			name: "defaults",
			want: []string{"ConfigMap/t-trellis", "Deployment/t-trellis", "HorizontalPodAutoscaler/t-trellis",
				"PodDisruptionBudget/t-trellis", "Service/t-trellis"},
			check: func(t *testing.T, objs map[string]any) {
				d := objs["Deployment/t-trellis"].(*appsv1.Deployment)
				checkPod(t, d)
				if d.Spec.Replicas != nil {
					t.Errorf("replicas = %d with the HPA on, want unset", *d.Spec.Replicas)
				}
				if got := *d.Spec.Template.Spec.TerminationGracePeriodSeconds; got != 20 {
					t.Errorf("terminationGracePeriodSeconds = %d, want 5+10+5", got)
				}
				cfg := objs["ConfigMap/t-trellis"].(*corev1.ConfigMap).Data["trellis.yaml"]
				for _, want := range []string{"addr: 0.0.0.0:8080", "admin_addr: 0.0.0.0:9090", "shutdown_delay: 5s", "mode: production"} {
					if !strings.Contains(cfg, want) {
						t.Errorf("config lacks %q:\n%s", want, cfg)
					}
				}
			},
		},
		{
			name: "everything on",
			values: `
replicaCount: 3
autoscaling: {enabled: false}
shutdown: {preStopSleepSeconds: 3}
redis: {enabled: true}
metrics: {serviceMonitor: {enabled: true}, prometheusRule: {enabled: true}}
secrets:
  auth.jwt.hs256_secret: "0123456789abcdef0123456789abcdef-test"
  server.admin_token: "admin-token-test-0123"
config:
  rate_limit: {enabled: true}
`,
			want: []string{"ConfigMap/t-trellis", "Deployment/t-trellis", "Deployment/t-trellis-redis",
				"PodDisruptionBudget/t-trellis", "PrometheusRule/t-trellis", "Secret/t-trellis",
				"Service/t-trellis", "Service/t-trellis-redis", "ServiceMonitor/t-trellis"},
			check: func(t *testing.T, objs map[string]any) {
				d := objs["Deployment/t-trellis"].(*appsv1.Deployment)
				checkPod(t, d)
				if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
					t.Errorf("replicas = %v, want 3", d.Spec.Replicas)
				}
				c := d.Spec.Template.Spec.Containers[0]
				if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil ||
					c.Lifecycle.PreStop.Sleep.Seconds != 3 {
					t.Errorf("preStop = %+v, want sleep 3s", c.Lifecycle)
				}
				if got := *d.Spec.Template.Spec.TerminationGracePeriodSeconds; got != 23 {
					t.Errorf("terminationGracePeriodSeconds = %d, want 3+5+10+5", got)
				}
				cfg := objs["ConfigMap/t-trellis"].(*corev1.ConfigMap).Data["trellis.yaml"]
				for _, want := range []string{"hs256_secret_file: /etc/trellis/secrets/auth.jwt.hs256_secret",
					"admin_token_file: /etc/trellis/secrets/server.admin_token", "addr: t-trellis-redis:6379", "store: redis"} {
					if !strings.Contains(cfg, want) {
						t.Errorf("config lacks %q:\n%s", want, cfg)
					}
				}
				if strings.Contains(cfg, "-test") {
					t.Errorf("a secret's value is in the ConfigMap:\n%s", cfg)
				}
				s := objs["Secret/t-trellis"].(*corev1.Secret)
				if got := string(s.Data["auth.jwt.hs256_secret"]); got != "0123456789abcdef0123456789abcdef-test" {
					t.Errorf("Secret auth.jwt.hs256_secret = %q", got)
				}
				rules := objs["PrometheusRule/t-trellis"].(*monitoringv1.PrometheusRule)
				if len(rules.Spec.Groups) == 0 || len(rules.Spec.Groups[0].Rules) < 3 {
					t.Errorf("PrometheusRule holds %d groups, want the shipped alerts", len(rules.Spec.Groups))
				}
				sm := objs["ServiceMonitor/t-trellis"].(*monitoringv1.ServiceMonitor)
				if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Path != "/metrics" || sm.Spec.Endpoints[0].Port != "admin" {
					t.Errorf("ServiceMonitor endpoints = %+v", sm.Spec.Endpoints)
				}
			},
		},
		{
			name: "external redis and existing secret",
			values: `
redis: {externalAddr: "redis.shared:6379"}
podDisruptionBudget: {enabled: false}
existingSecret: {name: trellis-secrets, keys: [auth.jwt.hs256_secret]}
`,
			want: []string{"ConfigMap/t-trellis", "Deployment/t-trellis", "HorizontalPodAutoscaler/t-trellis",
				"Service/t-trellis"},
			check: func(t *testing.T, objs map[string]any) {
				d := objs["Deployment/t-trellis"].(*appsv1.Deployment)
				checkPod(t, d)
				var projected []string
				for _, v := range d.Spec.Template.Spec.Volumes {
					if v.Projected != nil {
						for _, s := range v.Projected.Sources {
							projected = append(projected, s.Secret.Name)
						}
					}
				}
				if !slices.Equal(projected, []string{"trellis-secrets"}) {
					t.Errorf("secret volumes project %v, want [trellis-secrets]", projected)
				}
				cfg := objs["ConfigMap/t-trellis"].(*corev1.ConfigMap).Data["trellis.yaml"]
				if !strings.Contains(cfg, "addr: redis.shared:6379") {
					t.Errorf("config lacks the external Redis:\n%s", cfg)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(values, []byte(tt.values), 0o600); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd := exec.Command(helm, "template", "t", "trellis", "-f", values)
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helm template: %v\n%s", err, stderr.String())
			}
			objs := decodeAll(t, out)
			var got []string
			for k := range objs {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("objects = %v, want %v", got, tt.want)
			}
			tt.check(t, objs)
			validateConfig(t, objs["ConfigMap/t-trellis"].(*corev1.ConfigMap).Data["trellis.yaml"])
		})
	}
}

// decodeAll decodes every document of a rendered chart strictly (unknown and duplicate fields are
// errors) into its API type, keyed by kind/name.
func decodeAll(t *testing.T, rendered []byte) map[string]any {
	t.Helper()
	objs := map[string]any{}
	for _, doc := range strings.Split(string(rendered), "\n---\n") {
		if strings.TrimSpace(strings.TrimPrefix(doc, "---")) == "" {
			continue
		}
		var meta struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("rendered document: %v\n%s", err, doc)
		}
		newObj, ok := kinds[meta.APIVersion+"/"+meta.Kind]
		if !ok {
			t.Errorf("rendered %s/%s: not a kind this test knows; add its type", meta.APIVersion, meta.Kind)
			continue
		}
		obj := newObj()
		if err := strictDecode([]byte(doc), obj); err != nil {
			t.Errorf("%s %s does not decode strictly: %v\n%s", meta.Kind, meta.Metadata.Name, err, doc)
			continue
		}
		key := meta.Kind + "/" + meta.Metadata.Name
		if _, dup := objs[key]; dup {
			t.Errorf("%s rendered twice", key)
		}
		objs[key] = obj
	}
	return objs
}

// strictDecode decodes a YAML object as the API server does in strict field validation: duplicate keys,
// unknown fields and fields spelt in another case (encoding/json would match readOnlyRootFileSystem to
// readOnlyRootFilesystem) are errors.
func strictDecode(doc []byte, obj any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(j, obj)
	return errors.Join(append(strictErrs, err)...)
}

// checkPod checks what every gateway pod needs: probes on /readyz and /healthz, a non-root read-only
// container, resource requests, and the config (and any secrets) mounted read-only.
func checkPod(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe = %+v, want GET /readyz", c.ReadinessProbe)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe = %+v, want GET /healthz", c.LivenessProbe)
	}
	psc, sc := spec.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod security context = %+v, want non-root", psc)
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container security context = %+v, want a read-only root and no privilege escalation", sc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Errorf("resource requests = %v, want cpu and memory", c.Resources.Requests)
	}
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("volume %s is mounted writable", m.Name)
		}
	}
}

// validateConfig runs `gateway config validate` on the rendered config file when GATEWAY names the
// binary. The *_file paths point into the pod, so they are rewritten into a temporary directory
// holding a placeholder secret of each.
func validateConfig(t *testing.T, cfg string) {
	t.Helper()
	gateway := os.Getenv("GATEWAY")
	if gateway == "" {
		return
	}
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	if err := os.Mkdir(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(cfg, "\n") {
		if _, path, ok := strings.Cut(line, "_file: /etc/trellis/secrets/"); ok {
			if err := os.WriteFile(filepath.Join(secrets, path), []byte("placeholder-secret-of-32-bytes-or-more"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	file := filepath.Join(dir, "trellis.yaml")
	cfg = strings.ReplaceAll(cfg, "/etc/trellis/secrets/", secrets+"/")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gateway, "config", "validate", file).CombinedOutput(); err != nil {
		t.Errorf("gateway config validate of the rendered config: %v\n%s\n%s", err, out, cfg)
	}
}
