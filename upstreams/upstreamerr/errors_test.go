package upstreamerr_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestError(t *testing.T) {
	cause := errors.New("status 400: {\"error\":...}")
	tests := []struct {
		name string
		err  *upstreamerr.Error
		want string
	}{
		{"bare", &upstreamerr.Error{Upstream: "accounts", Op: "GET /users", Code: upstreamerr.Failed},
			"upstream accounts GET /users: UPSTREAM_ERROR"},
		{"with message and cause", &upstreamerr.Error{Upstream: "reviews", Op: "POST /reviews", Code: upstreamerr.BadInput,
			Message: "rating must be between 1 and 5", Field: "rating", Err: cause},
			"upstream reviews POST /reviews: BAD_USER_INPUT: rating must be between 1 and 5: " + cause.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if tt.err.Err != nil && !errors.Is(tt.err, tt.err.Err) {
				t.Error("Unwrap does not reach the cause")
			}
		})
	}
}

func TestCodeOf(t *testing.T) {
	notFound := &upstreamerr.Error{Code: upstreamerr.NotFound}
	tests := []struct {
		name         string
		err          error
		want         upstreamerr.Code
		wantNotFound bool
	}{
		{"nil", nil, "", false},
		{"plain error", errors.New("x"), "", false},
		{"direct", notFound, upstreamerr.NotFound, true},
		{"wrapped", fmt.Errorf("load user: %w", notFound), upstreamerr.NotFound, true},
		{"joined, first wins", errors.Join(errors.New("x"), &upstreamerr.Error{Code: upstreamerr.Timeout}, notFound),
			upstreamerr.Timeout, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := upstreamerr.CodeOf(tt.err); got != tt.want {
				t.Errorf("CodeOf = %q, want %q", got, tt.want)
			}
			if got := upstreamerr.CodeOf(tt.err) == upstreamerr.NotFound; got != tt.wantNotFound {
				t.Errorf("not found = %v, want %v", got, tt.wantNotFound)
			}
		})
	}
}

// TestCodeOfAllocs pins that CodeOf allocates nothing, for a success (nil) as for a wrapped failure:
// every upstream attempt's end asks it.
func TestCodeOfAllocs(t *testing.T) {
	wrapped := fmt.Errorf("load user: %w", &upstreamerr.Error{Code: upstreamerr.NotFound})
	for _, err := range []error{nil, wrapped} {
		if n := testing.AllocsPerRun(100, func() { _ = upstreamerr.CodeOf(err) }); n != 0 {
			t.Errorf("CodeOf(%v) allocates %v times, want 0", err, n)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestClassify(t *testing.T) {
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want upstreamerr.Code
	}{
		{"deadline error", context.Background(), fmt.Errorf("get: %w", context.DeadlineExceeded), upstreamerr.Timeout},
		{"caller deadline passed", expired, errors.New("read: connection closed"), upstreamerr.Timeout},
		{"caller canceled", canceled, context.Canceled, upstreamerr.Canceled},
		{"caller canceled mid-read", canceled, fmt.Errorf("read: %w", syscall.ECONNRESET), upstreamerr.Canceled},
		{"canceled error, caller still waiting", context.Background(), context.Canceled, upstreamerr.Unavailable},
		{"connection refused", context.Background(), refused, upstreamerr.Unavailable},
		{"connection reset", context.Background(), fmt.Errorf("read: %w", syscall.ECONNRESET), upstreamerr.Unavailable},
		{"net timeout", context.Background(), &net.OpError{Op: "read", Err: timeoutErr{}}, upstreamerr.Timeout},
		{"other", context.Background(), errors.New("EOF"), upstreamerr.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := upstreamerr.Classify(tt.ctx, tt.err); got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
		})
	}
}
