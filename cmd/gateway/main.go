// Command gateway runs the Trellis GraphQL gateway.
//
//	gateway [serve] [-config trellis.yaml]
//
// Other subcommands are tools around the same config and schema; `gateway help` lists them.
//
// Without -config it serves on 127.0.0.1:8080 in front of the sample services as `make run` starts them.
// main only wires: it reads the config, builds the gateway, serves until SIGINT or SIGTERM, then drains
// in-flight requests and closes everything. SIGHUP reloads the config file (reload.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/trellisgw/trellis/gateway"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// run dispatches on the first argument: a subcommand's name, or a flag of serve (the default).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return serve(ctx, args[1:], stdout, stderr)
		case "schema":
			return printSchema(ctx, args[1:], stdout, stderr)
		case "token":
			return token(args[1:], stdout, stderr)
		case "cost":
			return costCmd(args[1:], stdout, stderr)
		case "config":
			return configCmd(args[1:], stdout, stderr)
		case "help":
			fmt.Fprint(stdout, usage)
			return nil
		}
	}
	return serve(ctx, args, stdout, stderr)
}

// usage lists the subcommands.
const usage = `usage: gateway [subcommand] [flags]

subcommands:
  serve     run the gateway (the default): gateway serve -config trellis.yaml
  schema    print the schema (SDL), as GET /schema.graphql serves it;
            schema check -against OLD.graphql|URL [-operations DIR|MANIFEST] [-json]: changes and client operations
  token     mint a development token: gateway token --sub 42 --scope orders:read [--ttl 1h]
  cost      price an operation without running it: gateway cost [-variables json] query.graphql
  config    check or show a config: gateway config validate FILE...; gateway config print [-config FILE]
  help      print this list
`

// serve runs the gateway until ctx ends, then drains in-flight requests.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "path of the YAML config file (default: built-in, for the sample services)")
	if help, err := parseFlags(fs, args, true); help || err != nil {
		return err
	}
	cfg, err := gateway.LoadFile(*configPath)
	if err != nil {
		return err
	}
	level := new(slog.LevelVar) // log.level, changed by a reload
	level.Set(cfg.Log.SlogLevel())
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	routeRedisLogs(log)
	sdk, err := setupTelemetry(ctx, cfg.Telemetry)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sdk.shutdown(flushCtx); err != nil {
			log.Warn("gateway: telemetry shutdown", slog.String("error", err.Error()))
		}
	}()
	applyRuntime(cfg.Runtime, log)

	build := func(cfg gateway.Config) (*gateway.Gateway, error) {
		return gateway.New(cfg, gateway.WithLogger(log), gateway.WithMetricsHandler(sdk.metricsHandler()))
	}
	gw, err := build(cfg)
	if err != nil {
		return err
	}
	lv, err := newLive(*configPath, cfg, gw, build, level, log)
	if err != nil {
		_ = gw.Close()
		return err
	}
	defer lv.close()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr: %w", err)
	}
	var draining atomic.Bool
	srv := newServer(cfg, log, closeWhenDraining(&draining, lv.handler(func(g *gateway.Gateway) http.Handler { return g.Handler() })))
	servers := []*http.Server{srv}
	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	log.Info("gateway: serving", slog.String("url", url+"/graphql"), slog.Bool("traces_exported", sdk.exporting))
	fmt.Fprintf(stdout, "Trellis gateway listening on %s/graphql\n", url)
	if !cfg.Server.AdminOnMainListener {
		aln, err := net.Listen("tcp", cfg.Server.AdminAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("server.admin_addr: %w", err)
		}
		asrv := newServer(cfg, log, lv.handler(func(g *gateway.Gateway) http.Handler { return g.AdminHandler() }))
		servers = append(servers, asrv)
		go func() { served <- asrv.Serve(aln) }()
		aurl := "http://" + aln.Addr().String()
		log.Info("gateway: admin surface", slog.String("url", aurl), slog.String("metrics", aurl+"/metrics"))
		fmt.Fprintf(stdout, "Trellis admin listening on %s\n", aurl)
	}

	for serving := true; serving; {
		select {
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		case <-hup:
			_, _ = lv.reload(ctx) // logged and counted; a refused reload leaves the old config serving
		case <-ctx.Done():
			serving = false
		}
	}
	log.Info("gateway: shutting down")
	// Unready first, so that load balancers stop sending requests while the listener still accepts
	// them; then stop accepting and let in-flight requests finish within server.shutdown_timeout.
	// Keep-alive connections are not cut here (SetKeepAlivesEnabled(false) would close the idle ones
	// under clients about to reuse them): each is closed by its next response's Connection: close,
	// and Shutdown closes whatever is still idle after the delay.
	lv.current().gw.Drain()
	draining.Store(true)
	if d := cfg.Server.ShutdownDelay; d > 0 {
		log.Info("gateway: draining", slog.Duration("shutdown_delay", d))
		time.Sleep(d)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	var errs []error
	for _, srv := range servers { // the GraphQL listener first, then the admin one (scrapes until the end)
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = srv.Close() // in-flight requests ran past server.shutdown_timeout: cut them off
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// parseFlags parses a subcommand's args into fs. help is true when -h asked for the usage, which fs has
// printed: the subcommand then ends without error. With noArgs, positional arguments are an error.
func parseFlags(fs *flag.FlagSet, args []string, noArgs bool) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, err
	}
	if noArgs && fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return false, nil
}

// newServer returns an http.Server for handler with the server section's timeouts.
func newServer(cfg gateway.Config, log *slog.Logger, handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		ReadTimeout:       cfg.Server.RequestTimeout, // a slow body cannot hold a goroutine longer than a request may last
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// closeWhenDraining answers with Connection: close once draining is set, so that during
// server.shutdown_delay every request is still served normally and each keep-alive connection is
// closed by the server right after a complete response, never under a request in flight.
func closeWhenDraining(draining *atomic.Bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}
