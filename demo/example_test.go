package demo_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/faults"
)

func ExampleStart() {
	c, err := demo.Start(context.Background(), demo.Config{Replicas: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	// Make every accounts instance fail every call, then call one.
	if err := c.SetFault(demo.Accounts, -1, faults.Fault{ErrorRate: 1}); err != nil {
		fmt.Println(err)
		return
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get("http://" + c.Addrs(demo.Accounts)[1] + "/users/1")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))
	fmt.Println(len(c.Addrs(demo.Orders)), "orders instances")
	// Output:
	// 503 {"error":{"code":"UNAVAILABLE","message":"injected fault"}}
	// 2 orders instances
}
