package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/admin"
	"github.com/trellisgw/trellis/demo/faults"
)

// TestGracefulShutdown runs the real binaries: requests are in flight on a slow upstream when SIGTERM
// arrives; /readyz turns 503 while the listener still accepts (server.shutdown_delay), then new
// connections are refused while those requests still run, and every one of them completes with 200
// before the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	const (
		inFlight = 6
		latency  = 5 * time.Second // products answers this late: the requests outlive the drain delay
		delay    = 2 * time.Second // server.shutdown_delay
	)
	gatewayBin, demoBin := buildBinaries(t)
	demoProc, rdy := startDemoServices(t, demoBin)
	cfgPath := writeConfig(t, rdy.Services)
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer(
		"  shutdown_timeout: 20s\n", "  shutdown_timeout: 20s\n  shutdown_delay: "+delay.String()+"\n",
		"  products: {url: ", "  products: {timeout: 20s, url: ", // the upstream's own timeout must outlast its latency
	).Replace(string(raw))
	gw := start(t, gatewayBin, "-config", writeFile(t, "drain.yaml", cfg))
	m := listening.FindStringSubmatch(gw.firstLine(t))
	if m == nil {
		t.Fatal("the gateway does not say where it listens")
	}
	base := m[1]
	hc := newHTTPClient()
	ac := admin.NewClient(rdy.Admin, admin.WithHTTPClient(hc))
	ctx := t.Context()
	if err := ac.SetFault(ctx, demo.Products, 0, faults.Fault{Latency: latency}); err != nil {
		t.Fatal(err)
	}
	if err := ac.ResetCalls(ctx); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	var done atomic.Int64
	errs := make(chan error, inFlight)
	for range inFlight {
		wg.Go(func() {
			defer done.Add(1)
			resp, err := tryQuery(hc, base, crossQuery) // fails unless 200
			if err == nil && len(resp.Errors) > 0 {
				err = errors.New("errors in the response")
			}
			errs <- err
		})
	}
	// Every request has reached the slow service (counted on arrival): all are in flight.
	eventually(t, 30*time.Second, "all requests in flight", func() bool {
		rep, err := ac.Calls(ctx)
		if err != nil {
			return false
		}
		n := 0
		for _, in := range rep[demo.Products] {
			n += in.Calls["GET /products/top"]
		}
		return n >= inFlight
	})

	if err := gw.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, delay, "/readyz 503 during the drain delay", func() bool {
		return getStatus(t, hc, base, "/readyz") == http.StatusServiceUnavailable
	})
	// Then the listener closes: new connections are refused while the requests still run.
	addr := strings.TrimPrefix(base, "http://")
	eventually(t, 2*delay+5*time.Second, "new connections refused", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		_ = c.Close()
		return false
	})
	if n := done.Load(); n != 0 {
		t.Errorf("%d requests had ended before the listener closed; the test proves nothing about draining", n)
	}

	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("in-flight request: %v", err)
		}
	}
	gw.waitExit(t)
	for _, want := range []string{`"msg":"gateway: draining"`, `"msg":"gateway: shutting down"`} {
		if !strings.Contains(gw.stderr.String(), want) {
			t.Errorf("logs lack %s", want)
		}
	}
	demoProc.stop(t)
}

// TestShutdownKeepsKeepAliveConnections runs the real binaries: 16 clients reuse keep-alive
// connections under load while SIGTERM arrives; they go on through half of server.shutdown_delay (a
// load balancer noticing /readyz late) and then stop. Not one request fails: during the delay the
// gateway serves as usual and closes each connection after a complete response (Connection: close)
// instead of resetting idle ones under the clients' next request.
func TestShutdownKeepsKeepAliveConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	const (
		clients = 16
		delay   = 2 * time.Second // server.shutdown_delay
	)
	gatewayBin, demoBin := buildBinaries(t)
	demoProc, rdy := startDemoServices(t, demoBin)
	raw, err := os.ReadFile(writeConfig(t, rdy.Services))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "  shutdown_timeout: 20s\n", "  shutdown_timeout: 20s\n  shutdown_delay: "+delay.String()+"\n", 1)
	gw := start(t, gatewayBin, "-config", writeFile(t, "keepalive.yaml", cfg))
	m := listening.FindStringSubmatch(gw.firstLine(t))
	if m == nil {
		t.Fatal("the gateway does not say where it listens")
	}
	base := m[1]
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	var stop atomic.Bool
	var ok, closed, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	body := []byte(`{"query":"{ topProducts(first: 1) { upc } }"}`)
	for i := range clients {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				resp, err := hc.Post(base+"/graphql", "application/json", bytes.NewReader(body))
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
					if resp.Close {
						closed.Add(1)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
				// Pauses of different lengths leave connections idle at any moment, as real clients do.
				time.Sleep(time.Duration((i*7+n)%10) * time.Millisecond)
			}
		})
	}
	eventually(t, 30*time.Second, "load running", func() bool { return ok.Load() > 10*clients })
	if err := gw.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(delay / 2)
	stop.Store(true)
	wg.Wait()

	if n := failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed across the shutdown, want 0; first: %v", n, n+ok.Load(), firstErr.Load())
	}
	if closed.Load() == 0 {
		t.Error("no response during the drain delay said Connection: close")
	}
	gw.waitExit(t)
	t.Logf("%d requests, %d answered with Connection: close", ok.Load(), closed.Load())
	demoProc.stop(t)
}
