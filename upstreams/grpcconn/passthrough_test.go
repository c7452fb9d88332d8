package grpcconn

import "testing"

func TestPassthrough(t *testing.T) {
	tests := []struct{ target, want string }{
		{"127.0.0.1:1", "passthrough:///127.0.0.1:1"},
		{"localhost:4401", "passthrough:///localhost:4401"},
		{"orders.internal:443", "passthrough:///orders.internal:443"},
		{"[::1]:4401", "passthrough:///[::1]:4401"},
		{"host", "passthrough:///host"},
		{"dns:///x:1", "dns:///x:1"},
		{"dns://8.8.8.8/x:1", "dns://8.8.8.8/x:1"},
		{"passthrough:///127.0.0.1:1", "passthrough:///127.0.0.1:1"},
		{"unix:///tmp/orders.sock", "unix:///tmp/orders.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			if got := passthrough(tt.target); got != tt.want {
				t.Errorf("passthrough(%q) = %q, want %q", tt.target, got, tt.want)
			}
		})
	}
}
