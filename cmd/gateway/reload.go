package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/gateway"
)

// The results of a reload, the values of trellis_config_reloads_total's result attribute.
const (
	reloadSuccess = "success" // the new config serves
	reloadInvalid = "invalid" // the file does not load: the old config serves
	reloadRefused = "refused" // the file changes keys that cannot change live: the old config serves
	reloadFailed  = "failed"  // the new gateway could not be assembled: the old config serves
)

// fixedKeys are the config keys a running process cannot change: the listener and its server, the
// telemetry SDK and the runtime knobs, set up once at start. A reload that changes one is refused.
var fixedKeys = []struct {
	key string
	get func(gateway.Config) any
}{
	{"server.addr", func(c gateway.Config) any { return c.Server.Addr }},
	{"server.admin_addr", func(c gateway.Config) any { return c.Server.AdminAddr }},
	{"server.admin_on_main_listener", func(c gateway.Config) any { return c.Server.AdminOnMainListener }},
	{"server.read_header_timeout", func(c gateway.Config) any { return c.Server.ReadHeaderTimeout }},
	{"server.request_timeout", func(c gateway.Config) any { return c.Server.RequestTimeout }},
	{"server.shutdown_timeout", func(c gateway.Config) any { return c.Server.ShutdownTimeout }},
	{"server.shutdown_delay", func(c gateway.Config) any { return c.Server.ShutdownDelay }},
	{"telemetry", func(c gateway.Config) any { return c.Telemetry }},
	{"runtime", func(c gateway.Config) any { return c.Runtime }},
}

// live serves the current generation of the gateway and swaps in a new one on reload: requests that
// started on the old one finish there, and the old one is closed once the last of them is done.
type live struct {
	path  string
	build func(gateway.Config) (*gateway.Gateway, error)
	level *slog.LevelVar
	log   *slog.Logger

	reloads metric.Int64Counter

	mu  sync.RWMutex // guards cur; taken for writing only to swap it
	cur *generation
	// reloading serializes reloads (a second SIGHUP waits for the first).
	reloading sync.Mutex
	// closing counts the swapped-out generations still being closed.
	closing sync.WaitGroup
}

// generation is one assembled gateway and the requests it is serving.
type generation struct {
	cfg      gateway.Config
	gw       *gateway.Gateway
	inFlight sync.WaitGroup // Add under live.mu's read lock, so none is added once it is swapped out
}

func newLive(path string, cfg gateway.Config, gw *gateway.Gateway, build func(gateway.Config) (*gateway.Gateway, error),
	level *slog.LevelVar, log *slog.Logger) (*live, error) {
	reloads, err := otel.Meter("github.com/trellisgw/trellis/cmd/gateway").Int64Counter("trellis.config.reloads",
		metric.WithDescription("Config reloads (SIGHUP) by result: success, invalid, refused (a key that cannot change live), failed."))
	if err != nil {
		return nil, fmt.Errorf("reload metric: %w", err)
	}
	return &live{path: path, build: build, level: level, log: log, reloads: reloads, cur: &generation{cfg: cfg, gw: gw}}, nil
}

// handler serves each request on the current generation's handler that pick returns (its main
// surface or its admin surface).
func (l *live) handler(pick func(*gateway.Gateway) http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.RLock()
		g := l.cur
		g.inFlight.Add(1)
		l.mu.RUnlock()
		defer g.inFlight.Done()
		pick(g.gw).ServeHTTP(w, r)
	})
}

// current returns the generation serving now.
func (l *live) current() *generation {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cur
}

// reload reads the config file again. A valid one that changes no fixed key is assembled into a new
// gateway and swapped in; otherwise the old one keeps serving and the error says why, with the same
// messages as at start. It returns the result (a metric value) and the error.
func (l *live) reload(ctx context.Context) (string, error) {
	l.reloading.Lock()
	defer l.reloading.Unlock()
	result, err := l.swap()
	l.reloads.Add(ctx, 1, metric.WithAttributes(attribute.String("result", result)))
	if err != nil {
		l.log.Error("gateway: config reload refused; the previous config keeps serving",
			slog.String("result", result), slog.String("error", err.Error()))
	} else {
		l.log.Info("gateway: config reloaded", slog.String("path", l.path))
	}
	return result, err
}

func (l *live) swap() (string, error) {
	if l.path == "" {
		return reloadRefused, errors.New("no config file to reload: the gateway runs on the built-in config")
	}
	cfg, err := gateway.LoadFile(l.path)
	if err != nil {
		return reloadInvalid, err
	}
	old := l.current()
	var changed []string
	for _, k := range fixedKeys {
		if !reflect.DeepEqual(k.get(old.cfg), k.get(cfg)) {
			changed = append(changed, k.key)
		}
	}
	if len(changed) > 0 {
		return reloadRefused, fmt.Errorf("%s: cannot change while the gateway runs; restart it to change %s",
			l.path, strings.Join(changed, ", "))
	}
	gw, err := l.build(cfg)
	if err != nil {
		return reloadFailed, fmt.Errorf("%s: %w", l.path, err)
	}
	l.mu.Lock()
	l.cur = &generation{cfg: cfg, gw: gw}
	l.mu.Unlock()
	l.level.Set(cfg.Log.SlogLevel())
	l.closing.Go(func() { // the old generation's requests finish on it; then it lets go of its connections
		old.inFlight.Wait()
		if err := old.gw.Close(); err != nil {
			l.log.Warn("gateway: closing the previous config's gateway", slog.String("error", err.Error()))
		}
	})
	return reloadSuccess, nil
}

// close closes the current generation, and waits for the previous ones to be closed (at shutdown,
// after the server has stopped).
func (l *live) close() error {
	err := l.current().gw.Close()
	l.closing.Wait()
	return err
}
