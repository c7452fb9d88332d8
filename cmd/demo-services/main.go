// Command demo-services runs the sample shop services (accounts, products, reviews over REST;
// inventory, orders over gRPC) and their admin endpoint in one process, until SIGINT or SIGTERM.
//
// When everything listens it prints one line of JSON to stdout:
//
//	{"admin":"http://127.0.0.1:4100","services":{"accounts":["127.0.0.1:4101"],...}}
//
// Logs go to stderr as JSON. Run with -h for the flags; a port of 0 picks a random free port.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/trellisgw/trellis/demo"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// ready is the line printed to stdout once every service listens.
type ready struct {
	Admin    string              `json:"admin"`
	Services map[string][]string `json:"services"`
}

// run starts the services as args say, prints the ready line to stdout, waits for SIGINT or SIGTERM
// (or ctx) and stops them. It returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, level, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, errHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "demo-services: %v\n", err)
		return 2
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cluster, err := demo.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "demo-services: %v\n", err)
		return 1
	}
	line := ready{Admin: cluster.AdminURL(), Services: make(map[string][]string)}
	for _, svc := range demo.Services() {
		line.Services[svc] = cluster.Addrs(svc)
	}
	if err := json.NewEncoder(stdout).Encode(line); err != nil {
		fmt.Fprintf(stderr, "demo-services: print ready line: %v\n", err)
		_ = cluster.Close()
		return 1
	}
	cfg.Logger.Info("demo services ready", "admin", line.Admin)

	<-ctx.Done()
	cfg.Logger.Info("shutting down")
	if err := cluster.Close(); err != nil {
		fmt.Fprintf(stderr, "demo-services: shut down: %v\n", err)
		return 1
	}
	return 0
}
