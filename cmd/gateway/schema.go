package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/graph"
	"github.com/trellisgw/trellis/graph/generated"
	"github.com/trellisgw/trellis/graph/schemacheck"
)

// printSchema prints the gateway's schema in SDL, as GET /schema.graphql serves it: for codegen
// tools and schema checks in CI, with no config and no network. `gateway schema check` compares it.
func printSchema(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "check" {
		return schemaCheck(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("gateway schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if help, err := parseFlags(fs, args, true); help || err != nil {
		return err
	}
	_, err := io.WriteString(stdout, graph.SDL(builtinSchema()))
	return err
}

func builtinSchema() *ast.Schema { return generated.NewExecutableSchema(generated.Config{}).Schema() }

// errCheckFailed is schema check's error when it found breaking changes or invalid operations: the
// process exits with status 1.
var errCheckFailed = errors.New("schema check failed")

// checkResult is schema check's -json output.
type checkResult struct {
	Schema     string            `json:"schema"`
	Against    string            `json:"against,omitempty"`
	Summary    map[string]int    `json:"summary"`
	Changes    []checkedChange   `json:"changes"`
	Operations *operationsResult `json:"operations,omitempty"`
	// UsageWindow is -usage-window ("retention": the gateway's default), when -usage was given.
	UsageWindow string `json:"usageWindow,omitempty"`
}

type operationsResult struct {
	Source  string                `json:"source"`
	Checked int                   `json:"checked"`
	Invalid []schemacheck.Invalid `json:"invalid"`
}

// schemaCheck compares the proposed schema (this binary's, or -schema) with an older one and checks
// client operations against it; see the README's "Schema evolution".
func schemaCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway schema check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	against := fs.String("against", "", "the schema in use: a .graphql file, a directory of .graphql(s) files, or a running gateway's URL")
	proposed := fs.String("schema", "", "the proposed schema, as -against (default: this gateway's own)")
	operations := fs.String("operations", "", "client operations to validate against the proposed schema: a trusted-documents manifest (.json), a .graphql file or a directory of them")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	usageBase := fs.String("usage", "", "a running gateway's URL: a breaking change that no client used in -usage-window (GET /admin/schema/usage) passes")
	usageWindow := fs.Duration("usage-window", 0, "how far back -usage looks (default: the gateway's schema_usage.retention)")
	usageToken := fs.String("usage-token", "", "bearer token of the gateway's admin endpoints (server.admin_token; default $TRELLIS_USAGE_TOKEN)")
	timeout := fs.Duration("timeout", 10*time.Second, "bound on fetching a schema or usage from a URL")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gateway schema check [-against OLD.graphql|URL] [-schema NEW.graphql|URL] [-operations DIR|MANIFEST] [-usage URL] [-json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("schema check: unexpected arguments %q", fs.Args())
	}
	if *against == "" && *operations == "" {
		fs.Usage()
		return errors.New("schema check: give -against, -operations or both")
	}
	if *usageBase != "" && *against == "" {
		return errors.New("schema check: -usage weighs the changes against -against: give both")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	client := &http.Client{Timeout: *timeout}
	res := checkResult{Schema: "built-in", Summary: map[string]int{}}
	newSchema := builtinSchema()
	if *proposed != "" {
		s, err := schemacheck.LoadSchema(ctx, *proposed, client)
		if err != nil {
			return fmt.Errorf("schema check: -schema: %w", err)
		}
		newSchema, res.Schema = s, *proposed
	}
	newSchema, err := served(newSchema)
	if err != nil {
		return err
	}
	failed := false
	if *against != "" {
		old, err := schemacheck.LoadSchema(ctx, *against, client)
		if err != nil {
			return fmt.Errorf("schema check: -against: %w", err)
		}
		if old, err = served(old); err != nil {
			return err
		}
		res.Against = *against
		changes := schemacheck.Diff(old, newSchema)
		for _, l := range []schemacheck.Level{schemacheck.Breaking, schemacheck.Dangerous, schemacheck.Safe} {
			res.Summary[string(l)] = changes.Count(l)
		}
		failed = res.Summary[string(schemacheck.Breaking)] > 0
		if *usageBase != "" {
			token := *usageToken
			if token == "" {
				token = os.Getenv("TRELLIS_USAGE_TOKEN")
			}
			if res.Changes, failed, err = addUsage(ctx, client, *usageBase, token, *usageWindow, changes); err != nil {
				return fmt.Errorf("schema check: %w", err)
			}
			res.UsageWindow = "retention"
			if *usageWindow > 0 {
				res.UsageWindow = usageWindow.String()
			}
		} else {
			for _, c := range changes {
				res.Changes = append(res.Changes, checkedChange{Change: c})
			}
		}
	}
	if *operations != "" {
		docs, err := schemacheck.LoadDocuments(*operations)
		if err != nil {
			return fmt.Errorf("schema check: %w", err)
		}
		res.Operations = &operationsResult{Source: *operations, Checked: len(docs), Invalid: schemacheck.Operations(newSchema, docs)}
		failed = failed || len(res.Operations.Invalid) > 0
	}
	if res.Changes == nil {
		res.Changes = []checkedChange{}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printCheck(stdout, res)
	}
	if failed {
		return errCheckFailed
	}
	return nil
}

// served returns s as GET /schema.graphql serves it (gqlgen's code-generation directives left out),
// so that a schema read from the repository's files and one read from a gateway compare equal.
func served(s *ast.Schema) (*ast.Schema, error) {
	out, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: graph.SDL(s)})
	if err != nil {
		return nil, fmt.Errorf("schema check: %w", err)
	}
	return out, nil
}

func printCheck(w io.Writer, res checkResult) {
	if res.Against != "" {
		fmt.Fprintf(w, "schema %s against %s: %d breaking, %d dangerous, %d safe changes\n", res.Schema, res.Against,
			res.Summary[string(schemacheck.Breaking)], res.Summary[string(schemacheck.Dangerous)], res.Summary[string(schemacheck.Safe)])
		for _, c := range res.Changes {
			fmt.Fprintf(w, "%s%s\n", c.Change, usageNote(c.Usage, res.UsageWindow))
		}
	}
	if op := res.Operations; op != nil {
		fmt.Fprintf(w, "operations %s: %d documents checked, %d invalid\n", op.Source, op.Checked, len(op.Invalid))
		for _, inv := range op.Invalid {
			names := strings.Join(inv.Operations, ", ")
			if names != "" {
				names = " (" + names + ")"
			}
			fmt.Fprintf(w, "invalid   %s%s\n", inv.Source, names)
			for _, e := range inv.Errors {
				fmt.Fprintf(w, "          %s\n", e)
			}
		}
	}
}
