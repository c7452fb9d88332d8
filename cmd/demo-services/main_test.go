package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/admin"
	"github.com/trellisgw/trellis/demo/faults"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// randomPorts are the flags that put every listener on a random free port.
var randomPorts = []string{"-accounts-port", "0", "-products-port", "0", "-reviews-port", "0",
	"-inventory-port", "0", "-orders-port", "0", "-admin-addr", "127.0.0.1:0", "-users", "10", "-products", "5"}

// buildBinary compiles the command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "demo-services")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	cmd := exec.Command(bin, append(randomPorts, "-replicas", "2", "-log-level", "debug")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	t.Cleanup(func() {
		if !exited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("no ready line: %v; stderr:\n%s", lines.Err(), stderr.String())
	}
	var rdy struct {
		Admin    string              `json:"admin"`
		Services map[string][]string `json:"services"`
	}
	if err := json.Unmarshal(lines.Bytes(), &rdy); err != nil {
		t.Fatalf("ready line %q: %v", lines.Text(), err)
	}
	if !strings.HasPrefix(rdy.Admin, "http://127.0.0.1:") {
		t.Errorf("admin = %q", rdy.Admin)
	}
	for _, svc := range demo.Services() {
		if len(rdy.Services[svc]) != 2 {
			t.Errorf("%s addrs = %v, want 2", svc, rdy.Services[svc])
		}
	}

	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := hc.Get("http://" + rdy.Services[demo.Accounts][1] + "/users/1")
	if err != nil {
		t.Fatalf("GET /users/1: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /users/1 = %d", resp.StatusCode)
	}
	ctx := t.Context()
	ac := admin.NewClient(rdy.Admin, admin.WithHTTPClient(hc))
	calls, err := ac.Calls(ctx)
	if err != nil {
		t.Fatalf("admin Calls: %v", err)
	}
	if n := calls.Total(demo.Accounts, "GET /users/{id}"); n != 1 || calls[demo.Accounts][1].Calls["GET /users/{id}"] != 1 {
		t.Errorf("accounts calls = %+v, want one GET /users/{id} on instance 1", calls[demo.Accounts])
	}
	if err := ac.SetFault(ctx, demo.Orders, -1, faults.Fault{Down: true}); err != nil {
		t.Fatalf("admin SetFault: %v", err)
	}
	if _, err := net.Dial("tcp", rdy.Services[demo.Orders][0]); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial a down orders instance: %v, want connection refused", err)
	}
	if err := ac.ResetCalls(ctx); err != nil {
		t.Fatalf("admin ResetCalls: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	exited = true
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
	}
	for line := range strings.Lines(stderr.String()) {
		if !json.Valid([]byte(line)) {
			t.Errorf("stderr line is not JSON: %q", line)
		}
	}
}

func TestRunErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := fmt.Sprint(busy.Addr().(*net.TCPAddr).Port)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "unknown flag", args: []string{"-nope"}, wantCode: 2, wantErr: "flag provided but not defined: -nope"},
		{name: "bad number", args: []string{"-users", "many"}, wantCode: 2, wantErr: `invalid value "many" for flag -users`},
		{name: "zero users", args: []string{"-users", "0"}, wantCode: 2, wantErr: "-users must be at least 1"},
		{name: "too many replicas", args: []string{"-replicas", "17"}, wantCode: 2, wantErr: "Replicas must be between 1 and 16"},
		{name: "bad log level", args: []string{"-log-level", "loud"}, wantCode: 2, wantErr: "-log-level must be"},
		{name: "positional", args: []string{"go"}, wantCode: 2, wantErr: `unexpected argument "go"`},
		{name: "busy port", args: append(append([]string{}, randomPorts...), "-orders-port", busyPort), wantCode: 1,
			wantErr: "orders[0]: listen tcp 127.0.0.1:" + busyPort},
		{name: "busy admin port", args: append(append([]string{}, randomPorts...), "-admin-addr", "127.0.0.1:"+busyPort), wantCode: 1,
			wantErr: "admin endpoint: listen tcp 127.0.0.1:" + busyPort},
		{name: "help", args: []string{"-h"}, wantCode: 0, wantErr: "-accounts-port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("run = %d, stderr:\n%s\nwant %d and %q", code, stderr.String(), tt.wantCode, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	done := make(chan int)
	go func() {
		defer pw.Close()
		done <- run(ctx, randomPorts, pw, io.Discard)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.Contains(line, `"services"`) {
		t.Fatalf("ready line %q, %v", line, err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("run = %d, want 0", code)
	}
}
