package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/faults"
)

func TestMain(m *testing.M) {
	// goleak.VerifyTestMain exits; remove the binaries built by buildBinaries before it does.
	goleak.VerifyTestMain(cleanupRun{m})
}

// cleanupRun runs the tests, then removes what they built.
type cleanupRun struct{ m *testing.M }

func (r cleanupRun) Run() int {
	code := r.m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	return code
}

// startCluster starts the sample services in-process on random ports; they stop at the end of the test.
func startCluster(t *testing.T) *demo.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cluster, err := demo.Start(ctx, demo.Config{Data: testData})
	if err != nil {
		t.Fatalf("start sample services: %v", err)
	}
	t.Cleanup(func() {
		if err := cluster.Close(); err != nil {
			t.Errorf("close sample services: %v", err)
		}
	})
	return cluster
}

func clusterAddrs(c *demo.Cluster) map[string][]string {
	out := map[string][]string{}
	for _, svc := range demo.Services() {
		out[svc] = c.Addrs(svc)
	}
	return out
}

// startRun runs the gateway in-process until ctx is done and returns its URL, the URL of its admin
// listener (the config must give it one) and the result of run.
func startRun(t *testing.T, ctx context.Context, args []string, stderr *syncBuffer) (string, string, <-chan error) {
	t.Helper()
	stdout := newLineWriter()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, stdout, stderr) }()
	var base string
	for {
		select {
		case line := <-stdout.lines:
			if base == "" {
				m := listening.FindStringSubmatch(line)
				if m == nil {
					t.Fatalf("stdout line %q does not say where the gateway listens", line)
				}
				base = m[1]
				continue
			}
			m := adminListening.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("stdout line %q does not say where the admin surface listens", line)
			}
			return base, m[1], done
		case err := <-done:
			t.Fatalf("run = %v before serving; stderr:\n%s", err, stderr)
		case <-time.After(30 * time.Second):
			t.Fatalf("no listening lines; stderr:\n%s", stderr)
		}
	}
}

func TestRunServesAndStops(t *testing.T) {
	cluster := startCluster(t)
	cfgPath := writeConfig(t, clusterAddrs(cluster))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	base, _, done := startRun(t, ctx, []string{"-config", cfgPath}, &stderr)
	hc := newHTTPClient()

	checkCrossQuery(t, hc, base)
	if got := getStatus(t, hc, base, "/healthz"); got != http.StatusOK {
		t.Errorf("GET /healthz = %d, want 200", got)
	}
	eventually(t, 10*time.Second, "GET /readyz 200", func() bool { // the pools' health, once connected
		return getStatus(t, hc, base, "/readyz") == http.StatusOK
	})

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v, want nil after the context is done", err)
	}
	if _, err := hc.Get(base + "/healthz"); err == nil {
		t.Error("the gateway still answers after run returned")
	}
	logs := stderr.String()
	checkJSONLines(t, logs)
	for _, want := range []string{`"msg":"gateway: serving"`, `"url":"` + base + `/graphql"`, `"msg":"gateway: shutting down"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

// TestRunDrains checks that a request in flight when the stop comes is still answered in full.
func TestRunDrains(t *testing.T) {
	cluster := startCluster(t)
	cfgPath := writeConfig(t, clusterAddrs(cluster))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	base, _, done := startRun(t, ctx, []string{"-config", cfgPath}, &stderr)
	hc := newHTTPClient()

	// Reviews are slow, so the query is still running when the stop comes.
	if err := cluster.SetFault(demo.Reviews, 0, faults.Fault{Latency: time.Second}); err != nil {
		t.Fatal(err)
	}
	cluster.ResetCalls()
	type answer struct {
		resp gqlResponse
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := tryQuery(hc, base, crossQuery)
		answered <- answer{resp, err}
	}()
	eventually(t, 20*time.Second, "the query reaches the reviews service", func() bool {
		return len(cluster.Calls()[demo.Reviews]) > 0
	})
	cancel()

	got := <-answered
	if got.err != nil {
		t.Fatalf("the request in flight failed: %v", got.err)
	}
	if len(got.resp.Errors) != 0 || got.resp.Data["topProducts"] == nil {
		t.Errorf("the request in flight was not served in full: data %v, errors %v", got.resp.Data, got.resp.Errors)
	}
	if err := <-done; err != nil {
		t.Errorf("run = %v, want nil", err)
	}
}

func TestRunErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyCfg := writeFile(t, "busy.yaml", `server: {addr: "`+busy.Addr().String()+`"}
upstreams:
  rest:
    accounts: {url: "http://127.0.0.1:1"}
    products: {url: "http://127.0.0.1:1"}
    reviews: {url: "http://127.0.0.1:1"}
  grpc:
    inventory: {target: "127.0.0.1:1"}
    orders: {target: "127.0.0.1:1"}
`)
	badCfg := writeFile(t, "bad.yaml", badConfig)

	tests := []struct {
		name       string
		args       []string
		wantErr    []string // substrings of the error
		wantStderr string   // substring of stderr
	}{
		{name: "unknown flag", args: []string{"-nope"}, wantErr: []string{"flag provided but not defined: -nope"},
			wantStderr: "-config"},
		{name: "unknown subcommand", args: []string{"bogus"}, wantErr: []string{`unexpected arguments ["bogus"]`}},
		{name: "serve subcommand with its flags", args: []string{"serve", "-config", "/nonexistent/trellis.yaml"},
			wantErr: []string{"/nonexistent/trellis.yaml", "no such file or directory"}},
		{name: "argument after the flags", args: []string{"-config", badCfg, "x"}, wantErr: []string{`unexpected arguments ["x"]`}},
		{name: "missing config file", args: []string{"-config", "/nonexistent/trellis.yaml"},
			wantErr: []string{"/nonexistent/trellis.yaml", "no such file or directory"}},
		{name: "invalid values", args: []string{"-config", writeFile(t, "values.yaml", badValues)},
			wantErr: []string{"upstreams.rest.accounts.url", `"ftp://x"`, "server.max_body_bytes", "-1"}},
		{name: "unknown key", args: []string{"-config", writeFile(t, "unknown.yaml", badValues+unknownKey)},
			wantErr: []string{"colour"}},
		// Every problem at once, unknown keys and invalid values together (DESIGN.md §3: validated at
		// start with messages that name the key).
		{name: "invalid config", args: []string{"-config", badCfg}, wantErr: badConfigKeys},
		{name: "busy address", args: []string{"-config", busyCfg},
			wantErr: []string{"server.addr: listen tcp " + busy.Addr().String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if err == nil {
				t.Fatal("run = nil, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

func TestRunHelpListsSubcommands(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"help"}, &stdout, &stderr); err != nil {
		t.Fatalf("run help = %v", err)
	}
	if !strings.Contains(stdout.String(), "serve ") {
		t.Errorf("run help: stdout %q lacks the serve subcommand", stdout.String())
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Errorf("run -h = %v, want nil", err)
	}
	if !strings.Contains(stderr.String(), "-config") || stdout.Len() != 0 {
		t.Errorf("run -h: stdout %q, stderr %q; want the usage on stderr only", stdout.String(), stderr.String())
	}
}

// badValues has two invalid values.
const badValues = `upstreams:
  rest:
    accounts: {url: "ftp://x"}
server: {max_body_bytes: -1}
`

// unknownKey is a key the config does not have.
const unknownKey = "colour: blue\n"

// badConfig has two invalid values and an unknown key.
const badConfig = badValues + unknownKey

// badConfigKeys are what the error about badConfig must name: every bad key.
var badConfigKeys = []string{"upstreams.rest.accounts.url", "server.max_body_bytes", "colour"}
