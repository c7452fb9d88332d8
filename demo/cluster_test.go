package demo

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/trellisgw/trellis/demo/admin"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/faults"
	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
	ordersv1 "github.com/trellisgw/trellis/proto/orders/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// smallData keeps the data set small so tests start fast.
var smallData = data.Config{Seed: 7, Users: 20, Products: 10}

// startCluster starts a cluster with n replicas on random ports and closes it at the end of the test.
func startCluster(t *testing.T, n int) *Cluster {
	t.Helper()
	c, err := Start(t.Context(), Config{Data: smallData, Replicas: n})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// newHTTPClient returns a client whose idle connections are closed at the end of the test.
func newHTTPClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func get(t *testing.T, hc *http.Client, url string) (int, string, error) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestClusterCountsCalls(t *testing.T) {
	c := startCluster(t, 2)
	hc := newHTTPClient(t)
	ctx := t.Context()
	for _, svc := range Services() {
		if got := len(c.Addrs(svc)); got != 2 {
			t.Fatalf("%s has %d instances, want 2", svc, got)
		}
	}

	// Instance i of each service serves i+1 calls of its main route.
	rest := map[string]string{
		Accounts: "/users/1",
		Products: "/products/p1",
		Reviews:  "/reviews?product_upc=p1",
	}
	for svc, path := range rest {
		for i, addr := range c.Addrs(svc) {
			for range i + 1 {
				code, body, err := get(t, hc, "http://"+addr+path)
				if err != nil || code != http.StatusOK {
					t.Fatalf("GET %s on %s[%d] = %d %s, %v", path, svc, i, code, body, err)
				}
			}
		}
	}
	for i, addr := range c.Addrs(Inventory) {
		cl := inventoryv1.NewInventoryServiceClient(dial(t, addr))
		for range i + 1 {
			if _, err := cl.GetStock(ctx, &inventoryv1.GetStockRequest{Upcs: []string{"p1"}}); err != nil {
				t.Fatalf("GetStock on inventory[%d]: %v", i, err)
			}
		}
	}
	for i, addr := range c.Addrs(Orders) {
		cl := ordersv1.NewOrderServiceClient(dial(t, addr))
		for range i + 1 {
			if _, err := cl.GetOrders(ctx, &ordersv1.GetOrdersRequest{Ids: []string{"o1"}}); err != nil {
				t.Fatalf("GetOrders on orders[%d]: %v", i, err)
			}
		}
	}

	routes := map[string]string{
		Accounts:  "GET /users/{id}",
		Products:  "GET /products/{upc}",
		Reviews:   "GET /reviews",
		Inventory: inventoryv1.InventoryService_GetStock_FullMethodName,
		Orders:    ordersv1.OrderService_GetOrders_FullMethodName,
	}
	calls := c.Calls()
	for svc, route := range routes {
		per := c.InstanceCalls(svc)
		if got := []int{per[0][route], per[1][route]}; !cmp.Equal(got, []int{1, 2}) {
			t.Errorf("%s %s per instance = %v, want [1 2]", svc, route, got)
		}
		if calls[svc][route] != 3 {
			t.Errorf("%s %s total = %d, want 3", svc, route, calls[svc][route])
		}
	}

	// The admin endpoint reports the same counts.
	ac := admin.NewClient(c.AdminURL(), admin.WithHTTPClient(hc))
	report, err := ac.Calls(ctx)
	if err != nil {
		t.Fatalf("admin Calls: %v", err)
	}
	for svc, route := range routes {
		if got := report.Total(svc, route); got != 3 {
			t.Errorf("admin: %s %s total = %d, want 3", svc, route, got)
		}
		if report[svc][1].Addr != c.Addrs(svc)[1] {
			t.Errorf("admin: %s[1] addr = %s, want %s", svc, report[svc][1].Addr, c.Addrs(svc)[1])
		}
	}

	if err := ac.ResetCalls(ctx); err != nil {
		t.Fatalf("admin ResetCalls: %v", err)
	}
	for svc, route := range c.Calls() {
		if len(route) != 0 {
			t.Errorf("%s calls after reset = %v, want none", svc, route)
		}
	}
	if _, _, err := get(t, hc, "http://"+c.Addrs(Accounts)[1]+"/users"); err != nil {
		t.Fatal(err)
	}
	c.ResetCalls()
	if _, _, err := get(t, hc, "http://"+c.Addrs(Accounts)[1]+"/nope"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.InstanceCalls(Accounts), []map[string]int{{}, {faults.Unmatched: 1}}); diff != "" {
		t.Errorf("accounts calls (-got +want):\n%s", diff)
	}
}

func TestClusterSharesWritesAcrossReplicas(t *testing.T) {
	c := startCluster(t, 2)
	ctx := t.Context()
	a := ordersv1.NewOrderServiceClient(dial(t, c.Addrs(Orders)[0]))
	b := ordersv1.NewOrderServiceClient(dial(t, c.Addrs(Orders)[1]))
	placed, err := a.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{BuyerId: "2",
		Items: []*ordersv1.PlaceOrderItem{{Upc: "p3", Quantity: 2}}})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	got, err := b.GetOrders(ctx, &ordersv1.GetOrdersRequest{Ids: []string{placed.GetOrder().GetId()}})
	if err != nil || len(got.GetOrders()) != 1 {
		t.Fatalf("GetOrders on the other replica = %v, %v", got, err)
	}
}

func TestClusterGRPCHealth(t *testing.T) {
	c := startCluster(t, 1)
	for _, svc := range []string{Inventory, Orders} {
		hc := healthpb.NewHealthClient(dial(t, c.Addrs(svc)[0]))
		for _, name := range []string{"", svc} {
			resp, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{Service: name})
			if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("%s health of %q = %v, %v", svc, name, resp, err)
			}
		}
	}
	if n := c.Calls()[Inventory]["/grpc.health.v1.Health/Check"]; n != 2 {
		t.Errorf("inventory health checks counted %d, want 2", n)
	}
}

// refused reports whether err is a refused connection.
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func TestClusterDownAndUp(t *testing.T) {
	c := startCluster(t, 2)
	hc := newHTTPClient(t)
	ctx := t.Context()
	acc := c.Addrs(Accounts)

	if err := c.SetFault(Accounts, 1, faults.Fault{Down: true}); err != nil {
		t.Fatalf("SetFault down: %v", err)
	}
	if _, _, err := get(t, hc, "http://"+acc[1]+"/users/1"); !refused(err) {
		t.Fatalf("GET on a down instance: err = %v, want connection refused", err)
	}
	if code, _, err := get(t, hc, "http://"+acc[0]+"/users/1"); err != nil || code != http.StatusOK {
		t.Fatalf("GET on the other instance = %d, %v", code, err)
	}
	if _, err := net.Dial("tcp", acc[1]); !refused(err) {
		t.Fatalf("dial a down instance: err = %v, want connection refused", err)
	}
	if err := c.SetFault(Accounts, 1, faults.Fault{}); err != nil {
		t.Fatalf("SetFault up: %v", err)
	}
	if got := c.Addrs(Accounts)[1]; got != acc[1] {
		t.Errorf("address after restart = %s, want %s", got, acc[1])
	}
	if code, _, err := get(t, hc, "http://"+acc[1]+"/users/1"); err != nil || code != http.StatusOK {
		t.Fatalf("GET after up = %d, %v", code, err)
	}

	// gRPC: an open connection is closed and calls fail while down, then work again.
	inv := inventoryv1.NewInventoryServiceClient(dial(t, c.Addrs(Inventory)[0]))
	req := &inventoryv1.GetStockRequest{Upcs: []string{"p1"}}
	if _, err := inv.GetStock(ctx, req); err != nil {
		t.Fatalf("GetStock: %v", err)
	}
	if err := c.SetFault(Inventory, -1, faults.Fault{Down: true}); err != nil {
		t.Fatalf("SetFault down: %v", err)
	}
	if _, err := inv.GetStock(ctx, req); status.Code(err) != codes.Unavailable {
		t.Fatalf("GetStock while down: %v, want Unavailable", err)
	}
	if _, err := net.Dial("tcp", c.Addrs(Inventory)[1]); !refused(err) {
		t.Fatalf("dial a down instance: err = %v, want connection refused", err)
	}
	if err := c.SetFault(Inventory, -1, faults.Fault{}); err != nil {
		t.Fatalf("SetFault up: %v", err)
	}
	if _, err := inv.GetStock(ctx, req, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("GetStock after up: %v", err)
	}
}

func TestClusterErrorRate(t *testing.T) {
	c := startCluster(t, 1)
	hc := newHTTPClient(t)
	if err := c.SetFault(Products, 0, faults.Fault{ErrorRate: 1}); err != nil {
		t.Fatal(err)
	}
	code, body, err := get(t, hc, "http://"+c.Addrs(Products)[0]+"/products/p1")
	if err != nil || code != http.StatusServiceUnavailable ||
		strings.TrimSpace(body) != `{"error":{"code":"UNAVAILABLE","message":"injected fault"}}` {
		t.Fatalf("GET = %d %s, %v", code, body, err)
	}
	if err := c.SetFault(Orders, -1, faults.Fault{ErrorRate: 1}); err != nil {
		t.Fatal(err)
	}
	cl := ordersv1.NewOrderServiceClient(dial(t, c.Addrs(Orders)[0]))
	if _, err := cl.GetOrders(t.Context(), &ordersv1.GetOrdersRequest{Ids: []string{"o1"}}); status.Code(err) != codes.Unavailable {
		t.Fatalf("GetOrders = %v, want Unavailable", err)
	}
	if got := c.Faults(Orders); !cmp.Equal(got, []faults.Fault{{ErrorRate: 1}}) {
		t.Errorf("Faults(orders) = %v", got)
	}
}

func TestSetFaultErrors(t *testing.T) {
	c := startCluster(t, 1)
	tests := []struct {
		name    string
		service string
		inst    int
		f       faults.Fault
		want    error
	}{
		{name: "unknown service", service: "nope", want: ErrUnknownService},
		{name: "instance too big", service: Accounts, inst: 1, want: ErrUnknownInstance},
		{name: "instance negative", service: Accounts, inst: -2, want: ErrUnknownInstance},
		{name: "bad fault", service: Accounts, f: faults.Fault{ErrorRate: 2}, want: faults.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.SetFault(tt.service, tt.inst, tt.f); !errors.Is(err, tt.want) {
				t.Errorf("SetFault = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestStartBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = Start(t.Context(), Config{Data: smallData, BasePorts: map[string]int{Orders: port}})
	if err == nil || !strings.Contains(err.Error(), "orders[0]") || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Start = %v, want an address-in-use error naming orders[0]", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{name: "zero is valid", cfg: Config{}},
		{name: "full", cfg: Config{Host: "::1", Replicas: 16, AdminAddr: "localhost:4100",
			BasePorts: map[string]int{Accounts: 4101, Products: 4201, Orders: 0}}},
		{name: "replicas", cfg: Config{Replicas: 17}, want: []string{"Replicas must be between 1 and 16"}},
		{name: "negative replicas", cfg: Config{Replicas: -1}, want: []string{"Replicas"}},
		{name: "host with port", cfg: Config{Host: "127.0.0.1:80"}, want: []string{"Host must be"}},
		{name: "unknown service port", cfg: Config{BasePorts: map[string]int{"billing": 5000}}, want: []string{`BasePorts: unknown service "billing"`}},
		{name: "port range", cfg: Config{Replicas: 2, BasePorts: map[string]int{Accounts: 65535}}, want: []string{"BasePorts[accounts]"}},
		{name: "negative port", cfg: Config{BasePorts: map[string]int{Accounts: -1}}, want: []string{"BasePorts[accounts]"}},
		{name: "overlap", cfg: Config{Replicas: 3, BasePorts: map[string]int{Accounts: 4000, Products: 4002}},
			want: []string{"ports 4000-4002 of accounts overlap ports 4002-4004 of products"}},
		{name: "admin addr", cfg: Config{AdminAddr: "4100"}, want: []string{"AdminAddr must be host:port"}},
		{name: "data", cfg: Config{Data: data.Config{Users: -1, OrdersPerUser: 5000}}, want: []string{"Data.Users", "Data.OrdersPerUser"}},
		{name: "all at once", cfg: Config{Replicas: 99, Host: "a b", AdminAddr: "x"}, want: []string{"Replicas", "Host", "AdminAddr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want errors %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	if _, err := Start(t.Context(), Config{Replicas: 17}); err == nil {
		t.Fatal("Start accepted 17 replicas")
	}
}

func TestFixedPorts(t *testing.T) {
	// Find three consecutive free ports by asking for one and hoping its neighbours are free; retry a few times.
	for attempt := range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		if base+2 > 65535 {
			continue
		}
		c, err := Start(t.Context(), Config{Data: smallData, Replicas: 3, BasePorts: map[string]int{Reviews: base}})
		if err != nil {
			t.Logf("attempt %d: %v", attempt, err)
			continue
		}
		want := []string{fmt.Sprintf("127.0.0.1:%d", base), fmt.Sprintf("127.0.0.1:%d", base+1), fmt.Sprintf("127.0.0.1:%d", base+2)}
		got := c.Addrs(Reviews)
		_ = c.Close()
		if diff := cmp.Diff(got, want); diff != "" {
			t.Fatalf("reviews addrs (-got +want):\n%s", diff)
		}
		return
	}
	t.Skip("no three consecutive free ports found")
}

func TestClusterGRPCReflection(t *testing.T) {
	c := startCluster(t, 1)
	for svc, want := range map[string]string{
		Inventory: inventoryv1.InventoryService_ServiceDesc.ServiceName,
		Orders:    ordersv1.OrderService_ServiceDesc.ServiceName,
	} {
		stream, err := reflectionpb.NewServerReflectionClient(dial(t, c.Addrs(svc)[0])).ServerReflectionInfo(t.Context())
		if err != nil {
			t.Fatalf("%s reflection: %v", svc, err)
		}
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
		}); err != nil {
			t.Fatalf("%s reflection send: %v", svc, err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("%s reflection recv: %v", svc, err)
		}
		_ = stream.CloseSend()
		var names []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			names = append(names, s.GetName())
		}
		if !slices.Contains(names, want) || !slices.Contains(names, "grpc.health.v1.Health") {
			t.Errorf("%s lists services %v, want %s and grpc.health.v1.Health", svc, names, want)
		}
	}
}
