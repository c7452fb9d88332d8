package gateway

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite testdata/defaults.golden.yaml")

// TestDefaults pins every default: a change to one shows up in review as a change to the golden file.
func TestDefaults(t *testing.T) {
	got, err := yaml.Marshal(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "defaults.golden.yaml")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("defaults changed (-golden +now); run go test ./gateway -run Defaults -update if intended:\n%s", diff)
	}
	// The golden file itself is a valid config that parses back to the defaults.
	parsed, err := Parse(bytes.NewReader(want))
	if err != nil {
		t.Fatalf("golden defaults do not parse: %v", err)
	}
	if diff := cmp.Diff(DefaultConfig(), parsed); diff != "" {
		t.Fatalf("golden defaults parse to something else (-default +parsed):\n%s", diff)
	}
}

func TestParseRefusesBrokenFiles(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every one must appear in the error
	}{
		{"unknown top-level key", "servr: {}\n", []string{"servr (line 1): unknown key"}},
		{"unknown nested key", "server:\n  adr: x\n", []string{"server.adr (line 2): unknown key"}},
		{"unknown keys in flow style", "upstreams: {rest: {accounts: {uri: x}}}\n", []string{"upstreams.rest.accounts.uri (line 1): unknown key"}},
		{"upstreams of the old shape", "upstreams: {accounts: {url: x}}\n", []string{"upstreams.accounts.url (line 1): unknown key"}},
		{"an admin token of the old places", "telemetry: {analytics: {admin_token: x}}\nrate_limit:\n  usage:\n    admin_token_file: /t\n",
			[]string{"telemetry.analytics.admin_token (line 1): moved to server.admin_token", "rate_limit.usage.admin_token_file (line 4): moved to server.admin_token_file"}},
		{"rate_limit's on_error of the old place", "rate_limit:\n  redis: {on_error: deny}\n",
			[]string{"rate_limit.redis.on_error (line 2): moved to rate_limit.on_redis_error"}},
		{"wrong type", "server:\n  max_body_bytes: lots\n", []string{"server.max_body_bytes (line 2)", "lots"}},
		{"bad duration", "server:\n  request_timeout: soon\n", []string{"server.request_timeout (line 2)", "soon"}},
		{"not a mapping", "- a\n- b\n", []string{"cannot unmarshal"}},
		{"two documents", "server: {addr: x}\n---\nserver: {addr: y}\n", []string{"more than one YAML document"}},
		{"negative sizes and times", "server:\n  max_body_bytes: -1\n  request_timeout: -1s\n  document_cache: {size: -5}\n",
			[]string{"server.max_body_bytes", "server.request_timeout", "server.document_cache.size"}},
		{"bad upstream urls", "upstreams:\n  rest:\n    accounts: {url: \"ftp://x\"}\n    products: {url: \"not a url\"}\n    reviews: {url: \"http://x?y=1\"}\n",
			[]string{"upstreams.rest.accounts.url", "upstreams.rest.products.url", "upstreams.rest.reviews.url"}},
		{"empty grpc target", "upstreams:\n  grpc:\n    inventory: {target: \"\"}\n    orders: {target: \"\", timeout: -2s}\n",
			[]string{"upstreams.grpc.inventory.target", "upstreams.grpc.orders.target", "upstreams.grpc.orders.timeout"}},
		{"propagate to an undeclared upstream", upstreamsYAML + "auth: {propagate: {billing: {X-User-Id: user_id}}}\n",
			[]string{"auth.propagate.billing: unknown upstream; one of accounts, inventory, orders, products, reviews"}},
		{"transport", "upstreams:\n  transport: {max_idle_conns_per_host: -1, dial_timeout: -1s}\n",
			[]string{"upstreams.transport.max_idle_conns_per_host", "upstreams.transport.dial_timeout"}},
		{"log level", "log:\n  level: loud\n", []string{"log.level", "loud"}},
		{"many at once", "server: {addr: \"\", max_body_bytes: -1}\nlog: {level: x}\n",
			[]string{"server.max_body_bytes", "log.level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.yaml))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tt.yaml)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseFillsDefaults(t *testing.T) {
	c, err := Parse(strings.NewReader(`
server:
  addr: 0.0.0.0:9000
upstreams:
  rest:
    accounts: {url: "http://accounts:80"}
    products: {url: "http://products:80"}
    reviews: {url: "http://reviews:80", timeout: 500ms}
  grpc:
    inventory: {target: "dns:///inventory:443"}
    orders: {target: "orders:443"}
`))
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.Server.Addr != "0.0.0.0:9000" || c.Upstreams.REST["accounts"].URL != "http://accounts:80" {
		t.Fatalf("set keys lost: %+v", c)
	}
	if c.Server.RequestTimeout != d.Server.RequestTimeout || c.Upstreams.REST["accounts"].Timeout != d.Upstreams.REST["accounts"].Timeout {
		t.Fatalf("unset keys not defaulted: %+v", c)
	}
	if got := c.Upstreams.REST["reviews"].Timeout.String(); got != "500ms" {
		t.Fatalf("reviews timeout = %s", got)
	}
}

// Upstream addresses have no default inside a file (only the built-in config, used without -config,
// points at the sample services): a production file must name every upstream.
func TestTrailingEmptyDocumentIsFine(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "defaults.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tail := range []string{"---\n", "---\n# nothing here\n", "--- ~\n"} {
		if _, err := Parse(strings.NewReader(string(golden) + tail)); err != nil {
			t.Errorf("defaults + %q: %v", tail, err)
		}
	}
}

func TestEmptyFileNeedsUpstreams(t *testing.T) {
	_, err := Parse(strings.NewReader(""))
	if err == nil || !strings.Contains(err.Error(), "upstreams.rest.accounts: required by the accounts client") {
		t.Fatalf("empty file: err = %v, want the missing upstream urls named", err)
	}
}

func FuzzParse(f *testing.F) {
	golden, _ := os.ReadFile(filepath.Join("testdata", "defaults.golden.yaml"))
	f.Add(string(golden))
	f.Add("server: {addr: x}\n")
	f.Add("upstreams: {rest: {accounts: {url: 'http://a'}}}")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(strings.NewReader(in))
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config Validate refuses: %v", verr)
			}
		}
	})
}

// TestExampleConfigIsTheDefaults keeps config/trellis.example.yaml, which documents every key at its
// default, true: it must parse to exactly the built-in defaults.
func TestExampleConfigIsTheDefaults(t *testing.T) {
	c, err := LoadFile(filepath.Join("..", "config", "trellis.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultConfig(), c); diff != "" {
		t.Fatalf("config/trellis.example.yaml differs from the defaults (-default +example):\n%s", diff)
	}
}
