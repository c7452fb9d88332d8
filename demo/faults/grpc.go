package faults

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// injectedMessage is the status message of calls failed on purpose.
const injectedMessage = "injected fault"

// UnaryServerInterceptor applies the current fault to every unary call and counts it by full method
// name (e.g. "/trellis.orders.v1.OrderService/GetOrders"). Calls failed on purpose end with
// codes.Unavailable; the added latency ends early when the call's context is done. A W3C traceparent in
// the call's metadata continues the caller's trace, as Middleware does for HTTP.
func (s *State) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx = s.continueGRPC(ctx)
		s.Count(info.FullMethod)
		md, _ := metadata.FromIncomingContext(ctx)
		s.seeGRPC(md)
		if err := s.apply(ctx); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor does for streaming calls (health Watch, reflection) what
// UnaryServerInterceptor does for unary ones, once at the start of the stream.
func (s *State) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		s.Count(info.FullMethod)
		if err := s.apply(ss.Context()); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

// apply waits the fault's latency and returns the status error the call must end with, if any.
func (s *State) apply(ctx context.Context) error {
	latency, fail := s.decide()
	if err := sleep(ctx, latency); err != nil {
		return status.FromContextError(err).Err()
	}
	if fail {
		return status.Error(codes.Unavailable, injectedMessage)
	}
	return nil
}
