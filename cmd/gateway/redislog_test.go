package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

// TestRedisLogsAreJSON: with routeRedisLogs, go-redis's dial failure (Redis down) is a JSON warning
// in the gateway's log, and the plain-text logger is no longer in use.
func TestRedisLogsAreJSON(t *testing.T) {
	var buf syncBuffer // go-redis may log from its own goroutines
	routeRedisLogs(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(logging.Enable) // go-redis's default logger again, for the other tests of the process

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there: every dial is refused
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}

	found := false
	for line := range strings.Lines(buf.String()) {
		var rec struct {
			Level, Msg, Detail string
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON (%v): %q", err, line)
		}
		if rec.Level == "WARN" && rec.Msg == "redis: client library" && strings.Contains(rec.Detail, "failed to dial") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no dial failure warning in the JSON log:\n%s", buf.String())
	}
}

// TestRedisLoggerFormats: the adapter formats like Printf, drops go-redis's own "redis: " prefix and
// accepts a nil context.
func TestRedisLoggerFormats(t *testing.T) {
	tests := []struct {
		name, format string
		args         []any
		want         string
	}{
		{name: "prefixed", format: "redis: connection pool: failed to dial after %d attempts: %v", args: []any{1, "refused"}, want: "connection pool: failed to dial after 1 attempts: refused"},
		{name: "plain", format: "putConn called with nil connection", want: "putConn called with nil connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := redisLogger{log: slog.New(slog.NewJSONHandler(&buf, nil))}
			l.Printf(nil, tt.format, tt.args...) //nolint:staticcheck // go-redis may pass any context; nil must not panic
			var rec struct{ Level, Msg, Detail string }
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("%v: %q", err, buf.String())
			}
			if rec.Level != "WARN" || rec.Msg != "redis: client library" || rec.Detail != tt.want {
				t.Errorf("record = %+v, want WARN / redis: client library / %q", rec, tt.want)
			}
		})
	}
}

// TestRunLogsRedisFailuresAsJSON: serve wires routeRedisLogs. With the rate limits on a Redis that is
// down, the request is still served (on_error: local) and go-redis's dial failure is a JSON line of the
// gateway's log.
func TestRunLogsRedisFailuresAsJSON(t *testing.T) {
	t.Cleanup(logging.Enable)
	cluster := startCluster(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	cfg, err := os.ReadFile(writeConfig(t, clusterAddrs(cluster)))
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := writeFile(t, "trellis.yaml", string(cfg)+fmt.Sprintf(`rate_limit:
  enabled: true
  store: redis
  redis:
    addr: %q
  on_redis_error: local
`, down))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	base, _, done := startRun(t, ctx, []string{"-config", cfgPath}, &stderr)
	checkCrossQuery(t, newHTTPClient(), base)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v", err)
	}
	logs := stderr.String()
	checkJSONLines(t, logs)
	if !strings.Contains(logs, `"msg":"redis: client library"`) || !strings.Contains(logs, "failed to dial") {
		t.Errorf("no JSON line of go-redis's dial failure in the logs:\n%s", logs)
	}
}
