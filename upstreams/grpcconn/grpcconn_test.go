package grpcconn_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
	"github.com/trellisgw/trellis/upstreams/grpcconn"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

const method = "/trellis.inventory.v1.InventoryService/GetStock"

func TestFromStatus(t *testing.T) {
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	long := strings.Repeat("x", 201)
	tests := []struct {
		name        string
		ctx         context.Context
		err         error
		wantCode    upstreamerr.Code
		wantMessage string
	}{
		{"invalid argument", nil, status.Error(codes.InvalidArgument, "upcs must not be empty"), upstreamerr.BadInput, "upcs must not be empty"},
		{"failed precondition", nil, status.Error(codes.FailedPrecondition, "order is shipped"), upstreamerr.BadInput, "order is shipped"},
		{"out of range", nil, status.Error(codes.OutOfRange, "page past the end"), upstreamerr.BadInput, "page past the end"},
		{"invalid argument, long message", nil, status.Error(codes.InvalidArgument, long), upstreamerr.BadInput, "invalid input"},
		{"invalid argument, control chars", nil, status.Error(codes.InvalidArgument, "bad\ninternal"), upstreamerr.BadInput, "invalid input"},
		{"invalid argument, no message", nil, status.Error(codes.InvalidArgument, ""), upstreamerr.BadInput, "invalid input"},
		{"not found", nil, status.Error(codes.NotFound, "no order o9"), upstreamerr.NotFound, ""},
		{"deadline exceeded", nil, status.Error(codes.DeadlineExceeded, "too slow"), upstreamerr.Timeout, ""},
		{"unavailable", nil, status.Error(codes.Unavailable, "connection refused"), upstreamerr.Unavailable, ""},
		{"resource exhausted", nil, status.Error(codes.ResourceExhausted, "overloaded"), upstreamerr.Unavailable, ""},
		{"aborted", nil, status.Error(codes.Aborted, "conflict"), upstreamerr.Unavailable, ""},
		{"internal", nil, status.Error(codes.Internal, "nil pointer at db.go:42"), upstreamerr.Failed, ""},
		{"unknown", nil, status.Error(codes.Unknown, "boom"), upstreamerr.Failed, ""},
		{"unimplemented", nil, status.Error(codes.Unimplemented, "no such method"), upstreamerr.Failed, ""},
		{"permission denied", nil, status.Error(codes.PermissionDenied, "no"), upstreamerr.Failed, ""},
		{"wrapped status", nil, fmt.Errorf("call: %w", status.Error(codes.NotFound, "gone")), upstreamerr.NotFound, ""},
		{"canceled, caller deadline passed", expired, status.Error(codes.Canceled, "canceled"), upstreamerr.Timeout, ""},
		{"canceled by caller", canceled, status.Error(codes.Canceled, "canceled"), upstreamerr.Canceled, ""},
		{"non-status error", nil, errors.New("boom"), upstreamerr.Unavailable, ""},
		{"non-status deadline", nil, context.DeadlineExceeded, upstreamerr.Timeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			e := grpcconn.FromStatus(ctx, "inventory", method, tt.err)
			if e.Code != tt.wantCode || e.Message != tt.wantMessage {
				t.Errorf("code, message = %q, %q; want %q, %q", e.Code, e.Message, tt.wantCode, tt.wantMessage)
			}
			if e.Upstream != "inventory" || e.Op != method {
				t.Errorf("Upstream, Op = %q, %q", e.Upstream, e.Op)
			}
			if !errors.Is(e, tt.err) {
				t.Errorf("the error does not wrap its cause %v", tt.err)
			}
			if !strings.Contains(e.Error(), "inventory") || !strings.Contains(e.Error(), method) {
				t.Errorf("Error() = %q does not name upstream and method", e.Error())
			}
		})
	}
}

func TestDialEmptyTarget(t *testing.T) {
	if conn, err := grpcconn.Dial("inventory", "", time.Second); err == nil {
		_ = conn.Close()
		t.Fatal("Dial with an empty target succeeded")
	} else if !strings.Contains(err.Error(), "inventory") {
		t.Errorf("error %q does not name the upstream", err)
	}
}

// TestTargets dials a real server through each target form: a plain address and a dns:/// target
// go through the connection's own resolver, a target with another scheme is left as given.
func TestTargets(t *testing.T) {
	addr := startInventory(t, func(context.Context, *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
		return &inventoryv1.GetStockResponse{Stock: []*inventoryv1.Stock{{Upc: "p1", InStock: true, Quantity: 3}}}, nil
	})
	tests := []struct{ target, wantTarget string }{
		{addr, "trellis:///inventory"},
		{"passthrough:///" + addr, "passthrough:///" + addr},
		{"dns:///" + addr, "trellis:///inventory"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			conn := dial(t, tt.target, 5*time.Second)
			if got := conn.Target(); got != tt.wantTarget {
				t.Errorf("Target() = %q, want %q", got, tt.wantTarget)
			}
			resp, err := inventoryv1.NewInventoryServiceClient(conn).GetStock(context.Background(),
				&inventoryv1.GetStockRequest{Upcs: []string{"p1"}})
			if err != nil {
				t.Fatalf("GetStock: %v", err)
			}
			if len(resp.GetStock()) != 1 || resp.GetStock()[0].GetQuantity() != 3 {
				t.Errorf("GetStock = %v", resp)
			}
		})
	}
}

// TestCallErrors checks that the interceptor turns every failed call into an *upstreamerr.Error.
func TestCallErrors(t *testing.T) {
	hang := func(ctx context.Context, _ *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
		<-ctx.Done() // answers only once the client gives up, so the server stops promptly
		return nil, ctx.Err()
	}
	refuse := func(context.Context, *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
		return nil, status.Error(codes.InvalidArgument, "upcs must not be empty")
	}
	tests := []struct {
		name        string
		handler     stockFunc // nil: nothing listens
		timeout     time.Duration
		deadline    time.Duration
		wantCode    upstreamerr.Code
		wantMessage string
	}{
		{name: "closed port", timeout: 5 * time.Second, wantCode: upstreamerr.Unavailable},
		{name: "server slower than per-call timeout", handler: hang, timeout: 50 * time.Millisecond, wantCode: upstreamerr.Timeout},
		{name: "caller deadline", handler: hang, deadline: 50 * time.Millisecond, wantCode: upstreamerr.Timeout},
		{name: "invalid argument", handler: refuse, timeout: 5 * time.Second, wantCode: upstreamerr.BadInput,
			wantMessage: "upcs must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := closedAddr(t)
			if tt.handler != nil {
				addr = startInventory(t, tt.handler)
			}
			conn := dial(t, addr, tt.timeout)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, err := inventoryv1.NewInventoryServiceClient(conn).GetStock(ctx, &inventoryv1.GetStockRequest{Upcs: []string{"p1"}})
			var e *upstreamerr.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *upstreamerr.Error", err, err)
			}
			if e.Code != tt.wantCode || e.Message != tt.wantMessage {
				t.Errorf("code, message = %q, %q (%v); want %q, %q", e.Code, e.Message, err, tt.wantCode, tt.wantMessage)
			}
			if e.Upstream != "inventory" || e.Op != method {
				t.Errorf("Upstream, Op = %q, %q; want inventory, %s", e.Upstream, e.Op, method)
			}
		})
	}
}

type stockFunc func(context.Context, *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error)

// inventoryServer is a tiny InventoryService whose GetStock the test supplies.
type inventoryServer struct {
	inventoryv1.UnimplementedInventoryServiceServer
	getStock stockFunc
}

func (s *inventoryServer) GetStock(ctx context.Context, req *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
	return s.getStock(ctx, req)
}

// startInventory serves an inventory server on a random loopback port until the test ends.
func startInventory(t *testing.T, getStock stockFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	inventoryv1.RegisterInventoryServiceServer(srv, &inventoryServer{getStock: getStock})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return ln.Addr().String()
}

func dial(t *testing.T, target string, timeout time.Duration) *grpcconn.Conn {
	t.Helper()
	conn, err := grpcconn.Dial("inventory", target, timeout)
	if err != nil {
		t.Fatalf("Dial(%q): %v", target, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// closedAddr returns a loopback address nothing listens on any more.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
