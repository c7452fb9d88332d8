package grpcconn

import (
	"fmt"
	"testing"
)

func TestDiscoveryTargets(t *testing.T) {
	tests := []struct{ in, want, foreign string }{
		{"127.0.0.1:1", "[{127.0.0.1:1 true}]", ""},
		{"dns:///orders.internal:443", "[{orders.internal:443 true}]", ""},
		{"[::1]:4401", "[{[::1]:4401 true}]", ""},
		{"unix:///tmp/orders.sock", "[]", "unix:///tmp/orders.sock"},
		{"dns://8.8.8.8/x:1", "[]", "dns://8.8.8.8/x:1"},
	}
	for _, tt := range tests {
		got, foreign := discoveryTargets([]string{tt.in})
		if fmt.Sprint(got) != tt.want && !(len(got) == 0 && tt.want == "[]") || foreign != tt.foreign {
			t.Errorf("discoveryTargets(%q) = %v, %q; want %s, %q", tt.in, got, foreign, tt.want, tt.foreign)
		}
	}
}

func TestIsRead(t *testing.T) {
	tests := map[string]bool{
		"/trellis.orders.v1.OrderService/GetOrders":          true,
		"/trellis.orders.v1.OrderService/ListOrdersByBuyers": true,
		"/trellis.orders.v1.OrderService/PlaceOrder":         false,
		"/x.Y/Getaway": true, // a name is only a name
		"Get":          true,
	}
	for m, want := range tests {
		if got := isRead(m); got != want {
			t.Errorf("isRead(%q) = %v, want %v", m, got, want)
		}
	}
}
