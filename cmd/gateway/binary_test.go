package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/admin"
	"github.com/trellisgw/trellis/demo/faults"
)

// exitTimeout bounds how long a process may take to exit after SIGTERM. It is generous: it catches a
// process that does not stop, not a slow one.
const exitTimeout = 15 * time.Second

// buildBinaries builds cmd/gateway and cmd/demo-services as `make image-context` does (static, -trimpath,
// beside the CA bundle in image/, the container image's build context), once per test run, into a
// temporary directory that TestMain removes.
func buildBinaries(t *testing.T) (gateway, demoServices string) {
	t.Helper()
	dir, err := built()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "gateway"), filepath.Join(dir, "demo-services")
}

// binDir is where built builds the binaries; TestMain removes it.
var binDir string

var built = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "trellis-binaries-")
	if err != nil {
		return "", err
	}
	binDir = dir
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command("make", "-C", "../..", "--no-print-directory", "image-context",
		"BIN="+dir, "GO="+goTool).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("make image-context: %w\n%s", err, out)
	}
	return dir, nil
})

// process is a started binary whose stdout lines and stderr are collected.
type process struct {
	name   string
	cmd    *exec.Cmd
	stdout *lineWriter
	stderr *syncBuffer
	exited chan error // receives cmd.Wait's result once
}

// start starts bin with args; the process is killed at the end of the test if still running.
func start(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: filepath.Base(bin), cmd: exec.Command(bin, args...), stdout: newLineWriter(),
		stderr: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // os.ErrProcessDone once it has exited
		<-p.exited
	})
	return p
}

// firstLine returns the first line the process prints to stdout.
func (p *process) firstLine(t *testing.T) string {
	t.Helper()
	select {
	case line := <-p.stdout.lines:
		return line
	case err := <-p.exited:
		p.exited <- err // for the cleanup
		t.Fatalf("%s exited (%v) before printing; stderr:\n%s", p.name, err, p.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("%s printed nothing; stderr:\n%s", p.name, p.stderr)
	}
	return ""
}

// stop sends SIGTERM and fails t unless the process exits with code 0.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	p.waitExit(t)
}

// waitExit fails t unless the process exits with code 0 within exitTimeout (of a signal sent).
func (p *process) waitExit(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.exited:
		p.exited <- err // for the cleanup
		if err != nil {
			t.Errorf("%s exit: %v; stderr:\n%s", p.name, err, p.stderr)
		}
	case <-time.After(exitTimeout):
		t.Errorf("%s did not exit within %s; stderr:\n%s", p.name, exitTimeout, p.stderr)
	}
}

// startDemoServices starts the sample services on random ports and returns their ready line.
func startDemoServices(t *testing.T, bin string) (*process, demoReady) {
	t.Helper()
	p := start(t, bin, "-accounts-port", "0", "-products-port", "0", "-reviews-port", "0",
		"-inventory-port", "0", "-orders-port", "0", "-admin-addr", "127.0.0.1:0",
		"-seed", fmt.Sprint(testData.Seed), "-users", fmt.Sprint(testData.Users),
		"-products", fmt.Sprint(testData.Products), "-reviews-per-user", fmt.Sprint(testData.ReviewsPerUser),
		"-orders-per-user", fmt.Sprint(testData.OrdersPerUser))
	line := p.firstLine(t)
	var rdy demoReady
	if err := json.Unmarshal([]byte(line), &rdy); err != nil {
		t.Fatalf("demo-services ready line %q: %v", line, err)
	}
	return p, rdy
}

// demoReady is the line demo-services prints once it listens.
type demoReady struct {
	Admin    string              `json:"admin"`
	Services map[string][]string `json:"services"`
}

func TestBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	gatewayBin, demoBin := buildBinaries(t)

	t.Run("static and trimpath", func(t *testing.T) {
		checkStaticTrimpath(t, gatewayBin)
		checkImageContext(t, filepath.Join(filepath.Dir(gatewayBin), "image"), "../../Dockerfile")
	})

	t.Run("serve, probe and stop", func(t *testing.T) {
		demoProc, rdy := startDemoServices(t, demoBin)
		gw := start(t, gatewayBin, "-config", writeConfig(t, rdy.Services))
		line := gw.firstLine(t)
		m := listening.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("gateway stdout %q does not say where it listens", line)
		}
		base := m[1]
		hc := newHTTPClient()
		ac := admin.NewClient(rdy.Admin, admin.WithHTTPClient(hc))
		ctx := t.Context()

		checkCrossQuery(t, hc, base)
		if got := getStatus(t, hc, base, "/healthz"); got != http.StatusOK {
			t.Errorf("GET /healthz = %d, want 200", got)
		}
		// Readiness reads the pools' health: it follows the health checks and connections, eventually.
		eventually(t, 10*time.Second, "GET /readyz 200", func() bool {
			return getStatus(t, hc, base, "/readyz") == http.StatusOK
		})

		if err := ac.SetFault(ctx, demo.Orders, 0, faults.Fault{Down: true}); err != nil {
			t.Fatalf("set orders down: %v", err)
		}
		eventually(t, 10*time.Second, "GET /readyz 503 with orders down", func() bool {
			return getStatus(t, hc, base, "/readyz") == http.StatusServiceUnavailable
		})
		if got := getStatus(t, hc, base, "/healthz"); got != http.StatusOK {
			t.Errorf("GET /healthz with orders down = %d, want 200", got)
		}
		checkCrossQuery(t, hc, base) // does not need orders

		if err := ac.SetFault(ctx, demo.Orders, 0, faults.Fault{}); err != nil {
			t.Fatalf("set orders up: %v", err)
		}
		// gRPC reconnects after a backoff: wait for it.
		eventually(t, 30*time.Second, "ready again once orders is back", func() bool {
			return getStatus(t, hc, base, "/readyz") == http.StatusOK
		})

		gw.stop(t)
		logs := gw.stderr.String()
		checkJSONLines(t, logs)
		for _, want := range []string{`"msg":"gateway: serving"`, `"msg":"gateway: shutting down"`, `"msg":"readyz: not ready"`} {
			if !strings.Contains(logs, want) {
				t.Errorf("gateway logs lack %s:\n%s", want, logs)
			}
		}
		demoProc.stop(t)
	})

	// The process exits 1 with one message on stderr that says what is wrong.
	failures := []struct {
		name string
		args []string
		want []string
	}{
		{name: "invalid config", args: []string{"-config", writeFile(t, "bad.yaml", badConfig)}, want: badConfigKeys},
		{name: "config validate, invalid", args: []string{"config", "validate", writeFile(t, "bad.yaml", badConfig)}, want: badConfigKeys},
		{name: "missing config", args: []string{"-config", "/nonexistent"},
			want: []string{"gateway: config: open /nonexistent: no such file or directory"}},
		{name: "unexpected argument", args: []string{"run"}, want: []string{`gateway: unexpected arguments ["run"]`}},
		{name: "unknown flag", args: []string{"-port", "80"}, want: []string{"flag provided but not defined: -port"}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, gatewayBin, tt.args...).CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want code 1; output:\n%s", err, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(string(out), "listening") {
				t.Errorf("claims to listen:\n%s", out)
			}
		})
	}

	t.Run("help", func(t *testing.T) {
		out, err := exec.Command(gatewayBin, "-h").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "-config") {
			t.Errorf("gateway -h: %v, want exit 0 and the usage; output:\n%s", err, out)
		}
	})
}
