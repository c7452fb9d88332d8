package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReload: SIGHUP swaps a valid config in under load without failing a request; an invalid one, or
// one that changes a key that cannot change live, is refused with its reasons and the old one serves on.
func TestReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	gatewayBin, demoBin := buildBinaries(t)
	_, rdy := startDemoServices(t, demoBin)
	path := writeConfig(t, rdy.Services)
	base, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(old, new string) {
		t.Helper()
		if !strings.Contains(string(base), old) {
			t.Fatalf("config lacks %q", old)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(string(base), old, new, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	gw := start(t, gatewayBin, "-config", path)
	m := listening.FindStringSubmatch(gw.firstLine(t))
	if m == nil {
		t.Fatalf("gateway does not say where it listens; stderr:\n%s", gw.stderr)
	}
	url := m[1]
	am := adminListening.FindStringSubmatch(gw.firstLine(t))
	if am == nil {
		t.Fatalf("gateway does not say where its admin surface listens; stderr:\n%s", gw.stderr)
	}
	adminURL := am[1]
	hc := newHTTPClient()
	const deep = `{ topProducts(first: 1) { reviews(first: 1) { author { username } } } }` // depth 4
	deepRefused := func() bool {
		r := postJSON(t, hc, url, map[string]any{"query": deep})
		return strings.Contains(fmt.Sprint(r["errors"]), "GRAPHQL_VALIDATION_FAILED")
	}
	if deepRefused() {
		t.Fatal("the deep query is refused before any reload")
	}

	// Load for the whole test: every request must succeed, whatever the reloads do.
	ld := startLoad(hc, url, 4)
	hup := func() {
		t.Helper()
		if err := gw.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	waitLog := func(want string) {
		t.Helper()
		eventually(t, 20*time.Second, "log line "+want, func() bool { return strings.Contains(gw.stderr.String(), want) })
	}

	// A valid config with a lower depth limit: in force after the reload.
	rewrite("shutdown_timeout: 20s\n", "shutdown_timeout: 20s\n  limits: {max_depth: 3}\n")
	hup()
	waitLog(`"msg":"gateway: config reloaded"`)
	if !deepRefused() {
		t.Error("the deep query still runs after a reload to max_depth 3")
	}

	// An invalid config: refused with the messages of a start, the previous one serves on.
	rewrite("level: debug", "level: loud")
	hup()
	waitLog(`log.level: \"loud\" is not one of debug, info, warn, error`)
	// A key that cannot change live: refused, naming it.
	rewrite("addr: 127.0.0.1:0", "addr: 127.0.0.1:1")
	hup()
	waitLog(`cannot change while the gateway runs; restart it to change server.addr`)
	if !deepRefused() {
		t.Error("a refused reload changed the config in force")
	}

	time.Sleep(200 * time.Millisecond)
	ld.finish()
	ld.check(t, "across the reloads")

	resp, err := hc.Get(adminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`trellis_config_reloads_total{result="success"} 1`, `trellis_config_reloads_total{result="invalid"} 1`,
		`trellis_config_reloads_total{result="refused"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	gw.stop(t)
	t.Logf("%d requests served across three reloads", ld.served.Load())
}
