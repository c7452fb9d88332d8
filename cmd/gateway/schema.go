package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/trellisgw/trellis/graph"
	"github.com/trellisgw/trellis/graph/generated"
)

// printSchema prints the gateway's schema in SDL, as GET /schema.graphql serves it: for codegen
// tools and schema checks in CI, with no config and no network.
func printSchema(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	_, err := io.WriteString(stdout, graph.SDL(generated.NewExecutableSchema(generated.Config{}).Schema()))
	return err
}
