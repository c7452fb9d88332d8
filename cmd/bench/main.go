// Command bench measures the gateway against a hand-written floor (package bench/floor), side by side
// on this machine, and reports ratios: `make bench` runs it.
//
//	bench [run] [-duration 10s] [-rounds 2] [-latency 2ms] [-out bench/results] ...
//
// run (the default) builds nothing itself: it starts bin/demo-services (the sample services, data
// sized so the reference response is about 88 KB, a fixed latency added to every call), then this
// binary twice more, as the gateway and as the floor, and drives each with wrk (Debian's package) for
// the same duration and concurrency, alternating gateway and floor, per scenario. It writes a
// markdown table and a JSON file to the results folder and prints the table.
//
// The cached scenario runs over sample services of its own, with a larger data set (-cached-users,
// -cached-products), and three sides: the gateway with the entity cache on (`bench gateway -cache`),
// the same gateway with it off, and the floor, which caches nothing. wrk cycles through a seeded
// sequence of requests (-seed, -sequence): product pages and user profiles of Zipf-popular products and
// users (-zipf), and the top products. Its report adds the cache hit ratio (the share of look-up keys
// the cache answered, from the gateway's call traces) and the ratios cached/uncached and cached/floor.
//
// The roles `bench gateway` and `bench floor` serve one side each; they are run by `bench run`, not by
// hand. The gateway role assembles the gateway exactly as cmd/gateway does (gateway.New over the same
// config) plus one benchmark-only middleware that signs the caller in from the X-Bench-User header, so
// that the mutation scenario can run before the product has authentication; that header exists in
// this binary only.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "run":
			return runBench(ctx, args[1:], stdout, stderr)
		case "gateway", "floor":
			return serveRole(ctx, args[0], args[1:], stdout, stderr)
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
			return nil
		}
	}
	return runBench(ctx, args, stdout, stderr)
}

const usage = `usage: bench [run] [flags]   measure the gateway against the floor (bench run -h lists the flags)
       bench gateway|floor ...   one side, as started by bench run
`
