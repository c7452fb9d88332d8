package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/demo/faults"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeBackend has two services: "a" with two instances and "b" with one.
type fakeBackend struct {
	mu     sync.Mutex
	calls  map[string][]map[string]int
	faults map[string][]faults.Fault
	failOn string // SetFault fails with a non-validation error for this service
}

func newFake() *fakeBackend {
	return &fakeBackend{
		calls: map[string][]map[string]int{
			"a": {{"GET /x": 2}, {"GET /x": 1, "GET /y": 4}},
			"b": {{"/s.S/M": 3}},
		},
		faults: map[string][]faults.Fault{"a": make([]faults.Fault, 2), "b": make([]faults.Fault, 1)},
	}
}

func (f *fakeBackend) Services() []string { return []string{"a", "b"} }

func (f *fakeBackend) Addrs(svc string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for i := range f.faults[svc] {
		out = append(out, fmt.Sprintf("127.0.0.1:%d", 1000*(1+int(svc[0]-'a'))+i))
	}
	return out
}

func (f *fakeBackend) InstanceCalls(svc string) []map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[svc]
}

func (f *fakeBackend) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for svc, list := range f.calls {
		f.calls[svc] = make([]map[string]int, len(list))
	}
}

func (f *fakeBackend) Faults(svc string) []faults.Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]faults.Fault(nil), f.faults[svc]...)
}

func (f *fakeBackend) SetFault(svc string, instance int, ft faults.Fault) error {
	if err := ft.Validate(); err != nil {
		return err
	}
	if svc == f.failOn {
		return errors.New("listen: address already in use")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.faults[svc] {
		if instance == -1 || instance == i {
			f.faults[svc][i] = ft
		}
	}
	return nil
}

func newServer(t *testing.T, b Backend) (*httptest.Server, *Client) {
	t.Helper()
	srv := httptest.NewServer(NewHandler(b, nil))
	t.Cleanup(srv.Close)
	return srv, NewClient(srv.URL+"/", WithHTTPClient(srv.Client()))
}

func TestClient(t *testing.T) {
	b := newFake()
	_, c := newServer(t, b)
	ctx := context.Background()

	calls, err := c.Calls(ctx)
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	want := CallsReport{
		"a": {{Instance: 0, Addr: "127.0.0.1:1000", Calls: map[string]int{"GET /x": 2}},
			{Instance: 1, Addr: "127.0.0.1:1001", Calls: map[string]int{"GET /x": 1, "GET /y": 4}}},
		"b": {{Instance: 0, Addr: "127.0.0.1:2000", Calls: map[string]int{"/s.S/M": 3}}},
	}
	if diff := cmp.Diff(calls, want); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}
	if got := calls.Total("a", "GET /x"); got != 3 {
		t.Errorf("Total(a, GET /x) = %d, want 3", got)
	}
	if err := c.ResetCalls(ctx); err != nil {
		t.Fatalf("ResetCalls: %v", err)
	}
	calls, err = c.Calls(ctx)
	if err != nil || calls.Total("a", "GET /y") != 0 || len(calls["a"]) != 2 || calls["a"][1].Calls == nil {
		t.Errorf("after reset: %v, %v", calls, err)
	}

	f := faults.Fault{Latency: 5 * time.Millisecond, ErrorRate: 0.25}
	if err := c.SetFault(ctx, "a", 1, f); err != nil {
		t.Fatalf("SetFault: %v", err)
	}
	if err := c.SetFault(ctx, "b", -1, faults.Fault{Down: true}); err != nil {
		t.Fatalf("SetFault all: %v", err)
	}
	got, err := c.Faults(ctx)
	if err != nil {
		t.Fatalf("Faults: %v", err)
	}
	wantFaults := FaultsReport{
		"a": {{Instance: 0, Addr: "127.0.0.1:1000"}, {Instance: 1, Addr: "127.0.0.1:1001", Fault: f}},
		"b": {{Instance: 0, Addr: "127.0.0.1:2000", Fault: faults.Fault{Down: true}}},
	}
	if diff := cmp.Diff(got, wantFaults); diff != "" {
		t.Errorf("faults (-got +want):\n%s", diff)
	}

	inst, err := c.Instances(ctx)
	if err != nil {
		t.Fatalf("Instances: %v", err)
	}
	if diff := cmp.Diff(inst, map[string][]string{"a": {"127.0.0.1:1000", "127.0.0.1:1001"}, "b": {"127.0.0.1:2000"}}); diff != "" {
		t.Errorf("instances (-got +want):\n%s", diff)
	}

	var aerr *Error
	if err := c.SetFault(ctx, "nope", 0, faults.Fault{}); !errors.As(err, &aerr) || aerr.Status != http.StatusNotFound {
		t.Errorf("SetFault(nope) = %v, want a 404 *Error", err)
	}
}

func TestSetFaultHTTP(t *testing.T) {
	b := newFake()
	b.failOn = "b"
	srv, _ := newServer(t, b)
	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		wantCode int
		wantBody string // substring
	}{
		{name: "one instance", method: http.MethodPut, path: "/admin/faults/a/0", body: `{"latency":"1ms"}`,
			wantCode: 200, wantBody: `[{"instance":0,"addr":"127.0.0.1:1000","fault":{"latency":"1ms","error_rate":0,"down":false}}]`},
		{name: "all instances", method: http.MethodPut, path: "/admin/faults/a/*", body: `{"error_rate":1}`,
			wantCode: 200, wantBody: `{"instance":1,"addr":"127.0.0.1:1001","fault":{"latency":"0s","error_rate":1,"down":false}}]`},
		{name: "unknown service", method: http.MethodPut, path: "/admin/faults/zz/0", body: `{}`,
			wantCode: 404, wantBody: `{"error":{"code":"NOT_FOUND","message":"unknown service \"zz\""}}`},
		{name: "instance out of range", method: http.MethodPut, path: "/admin/faults/a/2", body: `{}`,
			wantCode: 404, wantBody: `unknown instance \"2\" of a: want 0..1 or *`},
		{name: "instance not a number", method: http.MethodPut, path: "/admin/faults/a/x", body: `{}`, wantCode: 404, wantBody: `NOT_FOUND`},
		{name: "negative instance", method: http.MethodPut, path: "/admin/faults/a/-1", body: `{}`, wantCode: 404, wantBody: `NOT_FOUND`},
		{name: "bad json", method: http.MethodPut, path: "/admin/faults/a/0", body: `{`,
			wantCode: 400, wantBody: `{"error":{"code":"INVALID_ARGUMENT","message":"request body is not valid JSON"}}`},
		{name: "empty body", method: http.MethodPut, path: "/admin/faults/a/0", body: ``, wantCode: 400, wantBody: `INVALID_ARGUMENT`},
		{name: "bad value", method: http.MethodPut, path: "/admin/faults/a/0", body: `{"error_rate":3}`,
			wantCode: 400, wantBody: `error_rate must be between 0 and 1`},
		{name: "wrong type", method: http.MethodPut, path: "/admin/faults/a/0", body: `{"down":"yes"}`, wantCode: 400, wantBody: `INVALID_ARGUMENT`},
		{name: "backend failure", method: http.MethodPut, path: "/admin/faults/b/0", body: `{"down":false}`,
			wantCode: 500, wantBody: `"code":"INTERNAL"`},
		{name: "reset", method: http.MethodPost, path: "/admin/calls/reset", wantCode: 204},
		{name: "wrong method", method: http.MethodDelete, path: "/admin/calls", wantCode: 405, wantBody: `METHOD_NOT_ALLOWED`},
		{name: "unknown route", method: http.MethodGet, path: "/admin/nope", wantCode: 404, wantBody: `"no such route"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("got %d %s, want %d with %s", resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
			if tt.wantCode != 204 && resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
			if tt.wantCode >= 400 {
				var eb errorBody
				if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
					t.Errorf("error body %s does not have the error shape: %v", body, err)
				}
			}
		})
	}
}
