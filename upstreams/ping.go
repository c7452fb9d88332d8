package upstreams

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/health/grpc_health_v1"
)

// Ping checks that every upstream answers its health check: GET /healthz for REST upstreams, the
// standard gRPC health service for gRPC ones. It returns every failure, joined.
func (c *Clients) Ping(ctx context.Context) error {
	errs := make(chan error, len(c.rest)+len(c.conns))
	for _, rc := range c.rest {
		go func() { errs <- rc.Get(ctx, "GET /healthz", "/healthz", nil, nil) }()
	}
	for name, conn := range c.conns {
		go func() {
			resp, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{})
			if err == nil && resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
				err = fmt.Errorf("upstream %s: health %s", name, resp.GetStatus())
			}
			errs <- err
		}()
	}
	var all []error
	for range len(c.rest) + len(c.conns) {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}
