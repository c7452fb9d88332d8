package demo

import (
	"log/slog"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/trellisgw/trellis/demo/faults"
)

// Timeouts of the REST instances. WriteTimeout leaves room for the largest injected latency.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = faults.MaxLatency + 30*time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

// httpServer adapts *http.Server to server.
type httpServer struct{ *http.Server }

// Close implements server.
func (s httpServer) Close() { _ = s.Server.Close() }

// newHTTPServer returns a fresh server of h with sane timeouts.
func newHTTPServer(h http.Handler, log *slog.Logger) server {
	return httpServer{&http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}
}

// grpcServer adapts *grpc.Server to server.
type grpcServer struct{ *grpc.Server }

// Close implements server.
func (s grpcServer) Close() { s.Stop() }

// newGRPCServer returns a fresh gRPC server with the state's interceptors, reflection, the standard
// health service (SERVING for "" and each of names) and the service that register adds.
func newGRPCServer(st *faults.State, names []string, register func(grpc.ServiceRegistrar)) server {
	gs := grpc.NewServer(
		grpc.ChainUnaryInterceptor(st.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(st.StreamServerInterceptor()),
	)
	register(gs)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range names {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(gs, hs)
	reflection.Register(gs)
	return grpcServer{gs}
}
