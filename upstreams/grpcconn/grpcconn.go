// Package grpcconn opens the one grpc.ClientConn kept per gRPC upstream, with a per-call timeout and
// failures classified into upstreamerr codes by a client interceptor.
package grpcconn

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/trellisgw/trellis/upstreams/calltrace"
	"github.com/trellisgw/trellis/upstreams/outbound"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// Dial returns a ClientConn to target (a grpc-go target such as "127.0.0.1:4401" or
// "dns:///orders.internal:443"). The connection is made lazily by grpc-go and kept for the process's
// life; Close it on shutdown. timeout bounds each call on top of the caller's deadline (0 = none).
func Dial(name, target string, timeout time.Duration, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	if target == "" {
		return nil, fmt.Errorf("upstream %s: empty target", name)
	}
	all := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(classify(name, timeout), outbound.UnaryClientInterceptor(name)),
	}, opts...)
	conn, err := grpc.NewClient(passthrough(target), all...)
	if err != nil {
		return nil, fmt.Errorf("upstream %s: dial %q: %w", name, target, err)
	}
	return conn, nil
}

// passthrough keeps a plain host:port target away from grpc-go's default DNS resolver, so a literal
// address is dialled as is; targets with a scheme ("dns:///…") are left alone.
func passthrough(target string) string {
	for i := 0; i < len(target); i++ {
		if target[i] == ':' {
			if len(target) > i+2 && target[i+1] == '/' && target[i+2] == '/' {
				return target
			}
			break
		}
	}
	return "passthrough:///" + target
}

// classify applies the per-call timeout and turns every failure into an *upstreamerr.Error.
func classify(name string, timeout time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		callCtx := ctx
		if timeout > 0 {
			var cancel context.CancelFunc
			callCtx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		start := time.Now()
		err := invoker(callCtx, method, req, reply, cc, opts...)
		var failure *upstreamerr.Error
		if err != nil {
			failure = FromStatus(callCtx, name, method, err)
		}
		if rec := calltrace.FromContext(ctx); rec != nil {
			c := calltrace.Call{
				Upstream: name, Instance: cc.Target(), Route: method, BatchSize: calltrace.BatchSize(ctx),
				Attempt: 1, Start: start, Duration: time.Since(start),
			}
			if failure != nil {
				c.Code = string(failure.Code)
			}
			rec.Add(c)
		}
		if failure != nil {
			return failure
		}
		return nil
	}
}

// FromStatus maps a gRPC call error to an *upstreamerr.Error.
func FromStatus(ctx context.Context, name, method string, err error) *upstreamerr.Error {
	e := &upstreamerr.Error{Upstream: name, Op: method, Err: err}
	st, ok := status.FromError(err)
	if !ok {
		e.Code = upstreamerr.Classify(ctx, err)
		return e
	}
	switch st.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		e.Code, e.Message = upstreamerr.BadInput, upstreamerr.UserMessage(st.Message())
	case codes.NotFound:
		e.Code = upstreamerr.NotFound
	case codes.DeadlineExceeded:
		e.Code = upstreamerr.Timeout
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted:
		e.Code = upstreamerr.Unavailable
	case codes.Canceled:
		e.Code = upstreamerr.Classify(ctx, ctx.Err())
	default:
		e.Code = upstreamerr.Failed
	}
	return e
}
