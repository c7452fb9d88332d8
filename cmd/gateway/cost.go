package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/cost"
	"github.com/trellisgw/trellis/graph/generated"
)

// costCmd prints the requested cost of an operation and its per-field breakdown, without executing
// anything: gateway cost [-config trellis.yaml] [-variables '{"n": 3}'] [-operation Name] query.graphql
func costCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway cost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "path of the YAML config file (its cost section prices the operation)")
	varsJSON := fs.String("variables", "", "the operation's variables as a JSON object")
	opName := fs.String("operation", "", "the operation to price when the document has several")
	asJSON := fs.Bool("json", false, "print the breakdown as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gateway cost [-config file] [-variables json] [-operation name] [-json] query.graphql")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args, false); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("cost: one query file expected")
	}
	cfg, err := gateway.LoadFile(*configPath)
	if err != nil {
		return err
	}
	query, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("cost: %w", err)
	}
	vars := map[string]any{}
	if *varsJSON != "" {
		if err := json.Unmarshal([]byte(*varsJSON), &vars); err != nil {
			return fmt.Errorf("cost: -variables: %w", err)
		}
	}
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	priceAll := cfg.Cost
	priceAll.MaxCost = 1 << 50 // price the whole operation, however far over the maximum
	model, err := cost.NewModel(schema, priceAll)
	if err != nil {
		return err
	}
	doc, gerrs := gqlparser.LoadQuery(schema, string(query))
	if gerrs != nil {
		return fmt.Errorf("cost: %s: %w", fs.Arg(0), gerrs)
	}
	op := doc.Operations.ForName(*opName)
	if op == nil {
		return fmt.Errorf("cost: no operation %q in %s", *opName, fs.Arg(0))
	}
	coerced, err := validator.VariableValues(schema, op, vars)
	if err != nil {
		return fmt.Errorf("cost: variables: %w", err)
	}
	res, gerr := model.Calculate(op, coerced, true)
	if gerr != nil {
		return fmt.Errorf("cost: %w", gerr)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"requestedQueryCost": res.Cost, "maxCost": cfg.Cost.MaxCost, "fields": res.Fields})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "count\tsize\town\ttotal\t  path")
	for _, f := range res.Fields {
		fmt.Fprintf(tw, "%g\t%g\t%g\t%g\t  %s\n", f.Count, f.Size, f.Own, f.Total, f.Path)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "within"
	if res.Cost > cfg.Cost.MaxCost {
		verdict = "OVER"
	}
	fmt.Fprintf(stdout, "requested cost: %d (%s cost.max_cost %d)\n", res.Cost, verdict, cfg.Cost.MaxCost)
	return nil
}
