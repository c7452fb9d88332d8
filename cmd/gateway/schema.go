package main

import (
	"context"
	"flag"
	"io"

	"github.com/trellisgw/trellis/graph"
	"github.com/trellisgw/trellis/graph/generated"
)

// printSchema prints the gateway's schema in SDL, as GET /schema.graphql serves it: for codegen
// tools and schema checks in CI, with no config and no network.
func printSchema(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if help, err := parseFlags(fs, args, true); help || err != nil {
		return err
	}
	_, err := io.WriteString(stdout, graph.SDL(generated.NewExecutableSchema(generated.Config{}).Schema()))
	return err
}
