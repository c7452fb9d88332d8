package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/trellisgw/trellis/demo/faults"
)

// server is an HTTP or gRPC server of one instance. A server serves one listener once: after Close
// it is thrown away and the next start builds a new one.
type server interface {
	// Serve accepts connections on ln until Close.
	Serve(ln net.Listener) error
	// Close closes the listener and every open connection.
	Close()
}

// instance is one replica of one service. Down closes its listener and connections; up listens
// again on the same address.
type instance struct {
	service string
	index   int
	state   *faults.State
	build   func() server
	log     *slog.Logger

	mu     sync.Mutex // serializes start, stop and fault changes; guards the fields below
	addr   string     // host:port; the port is fixed by the first start
	srv    server     // nil while down
	done   chan struct{}
	closed bool
}

// startLocked listens on in.addr and serves in the background. in.mu must be held.
func (in *instance) startLocked(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", in.addr)
	if err != nil {
		return fmt.Errorf("demo: start %s[%d]: %w", in.service, in.index, err)
	}
	in.addr = ln.Addr().String()
	srv, done := in.build(), make(chan struct{})
	in.srv, in.done = srv, done
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			in.log.Error("instance stopped serving", "service", in.service, "instance", in.index, "error", err)
		}
	}()
	in.log.Info("instance up", "service", in.service, "instance", in.index, "addr", in.addr)
	return nil
}

// stopLocked closes the listener and connections and waits for the serving goroutine. in.mu must be held.
func (in *instance) stopLocked() {
	if in.srv == nil {
		return
	}
	in.srv.Close()
	<-in.done
	in.srv, in.done = nil, nil
	in.log.Info("instance down", "service", in.service, "instance", in.index, "addr", in.addr)
}

// setFault makes f the instance's fault and brings the instance down or up as f.Down says.
func (in *instance) setFault(ctx context.Context, f faults.Fault) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return fmt.Errorf("demo: %s[%d]: %w", in.service, in.index, ErrClosed)
	}
	if _, err := in.state.SetFault(f); err != nil {
		return fmt.Errorf("demo: %s[%d]: %w", in.service, in.index, err)
	}
	in.log.Info("fault set", "service", in.service, "instance", in.index, "fault", f.String())
	switch {
	case f.Down:
		in.stopLocked()
	case in.srv == nil:
		if err := in.startLocked(ctx); err != nil {
			f.Down = true // it stays down: say so
			_, _ = in.state.SetFault(f)
			return err
		}
	}
	return nil
}

// close stops the instance for good.
func (in *instance) close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	in.stopLocked()
}

// address returns the instance's host:port.
func (in *instance) address() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.addr
}
