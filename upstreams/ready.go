package upstreams

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"google.golang.org/grpc/connectivity"
)

// Ready reports whether every upstream has an instance to serve from, by reading the instance pools:
// a REST instance counts while its active health checks (health_check.path, interval, thresholds)
// hold it healthy, a gRPC instance while grpc-go holds its sub-connection READY (SERVING, with health
// checking), and neither while the outlier detector has it ejected. It sends nothing to any upstream
// (no attempt, retry, breaker input or upstream metric): a gRPC connection still idle (no call yet)
// is only asked to connect, so that the next check can see it. It returns every upstream without an
// instance, joined.
func (c *Clients) Ready() error {
	for _, conn := range c.conns {
		if conn.GetState() == connectivity.Idle {
			conn.Connect() // leaves idle mode; does not block
		}
	}
	now := time.Now()
	var errs []error
	for name, pool := range c.Pools() {
		all := pool.Instances()
		ok := 0
		for _, in := range all {
			if in.Healthy() && !in.Ejected(now) {
				ok++
			}
		}
		if ok == 0 {
			errs = append(errs, fmt.Errorf("upstream %s: none of its %d instances is healthy", name, len(all)))
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}
