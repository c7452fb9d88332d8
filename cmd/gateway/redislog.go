package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// routeRedisLogs sends go-redis's log lines (e.g. "connection pool: failed to dial" while Redis is
// down, graph/ratelimit's redis store) to log as JSON warnings instead of the plain-text line its
// default logger writes to stderr. go-redis's logger is process-global, hence set here, in the
// process's wiring, once.
func routeRedisLogs(log *slog.Logger) {
	redis.SetLogger(redisLogger{log: log})
}

// redisLogger implements go-redis's logging interface (internal.Logging: Printf with a context) over slog.
type redisLogger struct{ log *slog.Logger }

// Printf implements go-redis's logging interface. go-redis gives no level: its lines are failures
// (dials, hooks, recovered panics), logged as warnings with a fixed message and the text in detail.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	detail := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	l.log.LogAttrs(ctx, slog.LevelWarn, "redis: client library", slog.String("detail", detail))
}
