package ratelimit

import (
	"net"
	"strconv"
	"testing"
)

// freePort returns a loopback port nothing listens on (for a Redis that is not there).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
