package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trellisgw/trellis/gateway"
)

// configUsage describes the config subcommands.
const configUsage = `usage: gateway config <validate|print> ...

  validate FILE...        check each config file as serve would (secrets' files and the TRELLIS_…
                          environment included); prints "FILE: valid", or every problem and exits 1
  print [-config FILE]    print the effective config: the file (or the built-in one) with every
                          default filled in and the environment applied; secrets print as <redacted>
`

// configCmd runs `gateway config validate|print`, the config tools for CI pipelines and for support.
func configCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, configUsage)
		return errors.New("config: name a subcommand: validate or print")
	}
	switch args[0] {
	case "validate":
		return configValidate(args[1:], stdout, stderr)
	case "print":
		return configPrint(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, configUsage)
		return nil
	}
	fmt.Fprint(stderr, configUsage)
	return fmt.Errorf("config: unknown subcommand %q", args[0])
}

// configValidate loads each file as serve does; the error holds every problem of every file.
func configValidate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway config validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if help, err := parseFlags(fs, args, false); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("config validate: name the file(s) to check, e.g. gateway config validate trellis.yaml")
	}
	var errs []error
	for _, path := range fs.Args() {
		if _, err := gateway.LoadFile(path); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: valid\n", path)
	}
	return errors.Join(errs...)
}

// configPrint prints the effective config as YAML; secret.Secret marshals redacted.
func configPrint(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway config print", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "path of the YAML config file (default: built-in)")
	if help, err := parseFlags(fs, args, true); help || err != nil {
		return err
	}
	cfg, err := gateway.LoadFile(*configPath)
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(stdout)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return fmt.Errorf("config print: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("config print: %w", err)
	}
	// What the mode resolves to, as comments: the output stays a config file the gateway reads.
	mode, err := yaml.Marshal(cfg.Mode())
	if err != nil {
		return fmt.Errorf("config print: %w", err)
	}
	fmt.Fprintf(stdout, "# server.mode %s resolves to (docs/configuration.md, \"What the mode decides\"):\n", cfg.Server.Mode)
	for _, line := range strings.Split(strings.TrimSpace(string(mode)), "\n") {
		fmt.Fprintf(stdout, "#   %s\n", line)
	}
	return nil
}
