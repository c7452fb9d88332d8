package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
)

// errHelp is returned by parseFlags when -h was asked for; the usage is already printed.
var errHelp = errors.New("help requested")

// parseFlags turns the command line into a cluster config and a log level.
func parseFlags(args []string, stderr io.Writer) (demo.Config, slog.Level, error) {
	fs := flag.NewFlagSet("demo-services", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := data.DefaultConfig()
	var (
		seed           = fs.Uint64("seed", d.Seed, "seed of the generated data set")
		users          = fs.Int("users", d.Users, "number of users")
		products       = fs.Int("products", d.Products, "number of products")
		reviewsPerUser = fs.Int("reviews-per-user", d.ReviewsPerUser, "reviews written by each user")
		ordersPerUser  = fs.Int("orders-per-user", d.OrdersPerUser, "orders placed by each user")
		replicas       = fs.Int("replicas", 1, fmt.Sprintf("instances per service, 1..%d, on consecutive ports", demo.MaxReplicas))
		host           = fs.String("host", demo.DefaultHost, "host every service listens on")
		adminAddr      = fs.String("admin-addr", "127.0.0.1:4100", "host:port of the admin endpoint (port 0 = random)")
		logLevel       = fs.String("log-level", "info", "log level: debug, info, warn or error")
	)
	ports := map[string]*int{
		demo.Accounts:  fs.Int("accounts-port", 4101, "port of the first accounts instance (0 = random)"),
		demo.Products:  fs.Int("products-port", 4201, "port of the first products instance (0 = random)"),
		demo.Reviews:   fs.Int("reviews-port", 4301, "port of the first reviews instance (0 = random)"),
		demo.Inventory: fs.Int("inventory-port", 4401, "port of the first inventory instance (0 = random)"),
		demo.Orders:    fs.Int("orders-port", 4501, "port of the first orders instance (0 = random)"),
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return demo.Config{}, 0, errHelp
		}
		return demo.Config{}, 0, fmt.Errorf("bad flags: %w", err)
	}
	if fs.NArg() > 0 {
		return demo.Config{}, 0, fmt.Errorf("unexpected argument %q: all settings are flags", fs.Arg(0))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return demo.Config{}, 0, fmt.Errorf("-log-level must be debug, info, warn or error, got %q", *logLevel)
	}
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{{"users", *users}, {"products", *products}, {"reviews-per-user", *reviewsPerUser}, {"orders-per-user", *ordersPerUser}} {
		if f.v < 1 {
			errs = append(errs, fmt.Errorf("-%s must be at least 1, got %d", f.name, f.v))
		}
	}
	if *replicas < 1 {
		errs = append(errs, fmt.Errorf("-replicas must be between 1 and %d, got %d", demo.MaxReplicas, *replicas))
	}
	if err := errors.Join(errs...); err != nil {
		return demo.Config{}, 0, err
	}
	cfg := demo.Config{
		Data: data.Config{Seed: *seed, Users: *users, Products: *products, ReviewsPerUser: *reviewsPerUser,
			OrdersPerUser: *ordersPerUser},
		Host:      *host,
		Replicas:  *replicas,
		BasePorts: make(map[string]int, len(ports)),
		AdminAddr: *adminAddr,
	}
	for svc, p := range ports {
		cfg.BasePorts[svc] = *p
	}
	if err := cfg.Validate(); err != nil {
		return demo.Config{}, 0, err
	}
	return cfg, level, nil
}
