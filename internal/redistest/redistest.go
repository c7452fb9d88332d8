// Package redistest starts a real redis-server of a test's own on a free loopback port, without
// persistence, so that the test may stop, pause (SIGSTOP) or restart it: the one way the tests of
// every Redis user (rate limits, persisted queries, schema usage, the entity cache) get a Redis.
// A test is skipped, with one line, only when no redis-server exists (`make test` installs one:
// scripts/ensure-redis.sh); TRELLIS_TEST_REDIS_SERVER names a binary elsewhere.
package redistest

import (
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process. Its methods are for the test goroutine.
type Server struct {
	// Addr is the server's host:port, the same across Restart.
	Addr string

	t   testing.TB
	bin string
	cmd *exec.Cmd
}

// Start starts a redis-server and waits until it listens; t.Cleanup ends it.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := os.Getenv("TRELLIS_TEST_REDIS_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			t.Skip("redis-server not found: install it (apt-get install redis-server) or run make test")
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Addr: addr, t: t, bin: bin}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	s.cmd = exec.Command(s.bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", s.Addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not listen on %s: %v", s.Addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop ends the server (paused or not) and waits for it; stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server must be able to die
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

// Restart stops the server and starts a new, empty one on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Pause stops the process with SIGSTOP: connections stay open and every command hangs, as with a
// hung server. Resume (or Stop, or the cleanup) continues it.
func (s *Server) Pause() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatalf("pause redis-server: %v", err)
	}
}

// Resume continues a paused server; on a stopped one it does nothing.
func (s *Server) Resume() {
	s.t.Helper()
	if s.cmd.ProcessState != nil {
		return
	}
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		s.t.Fatalf("resume redis-server: %v", err)
	}
}
