package balancer_test

import (
	"fmt"

	"github.com/trellisgw/trellis/upstreams/balancer"
)

// A pool picks an instance without blocking; Done reports how the attempt went.
func ExamplePool() {
	pool, err := balancer.NewPool(balancer.Config{Policy: balancer.RoundRobin})
	if err != nil {
		panic(err)
	}
	pool.Update([]string{"10.0.0.1:80", "10.0.0.2:80"})
	pool.SetHealthy("10.0.0.1:80", false) // an active health check failed
	for range 2 {
		pk, err := pool.Pick("")
		if err != nil {
			panic(err)
		}
		fmt.Println(pk.Instance.Addr())
		pk.Done(balancer.Success)
	}
	// Output:
	// 10.0.0.2:80
	// 10.0.0.2:80
}
