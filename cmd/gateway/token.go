package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/auth"
)

// token mints an HS256 development token with the config's secret (auth.jwt.hs256_secret, or
// its _file or TRELLIS_AUTH_JWT_HS256_SECRET, or the development secret in development mode) and prints it:
//
//	gateway token --sub 42 --scope orders:read [--scope admin] [--ttl 1h] [-config trellis.yaml]
func token(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "path of the YAML config file (default: built-in)")
	sub := fs.String("sub", "", "the user id (sub claim); required")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	plan := fs.String("plan", "", "the plan claim (optional)")
	var scopes []string
	fs.Func("scope", "a scope to grant; repeat for more, or separate with spaces", func(s string) error {
		scopes = append(scopes, strings.Fields(s)...)
		return nil
	})
	if help, err := parseFlags(fs, args, true); help || err != nil {
		return err
	}
	if *sub == "" {
		return errors.New("token: --sub is required, e.g. gateway token --sub 42 --scope orders:read")
	}
	cfg, err := gateway.LoadFile(*configPath)
	if err != nil {
		return err
	}
	secret := cfg.Auth.HS256Key(!cfg.Mode().DevelopmentSecret)
	if secret == nil {
		return fmt.Errorf("token: HS256 is off: set auth.jwt.hs256_secret, auth.jwt.hs256_secret_file or %s", gateway.SecretEnv("auth.jwt.hs256_secret"))
	}
	tok, err := auth.MintHS256(secret, auth.TokenClaims{
		Subject: *sub, Scopes: scopes, Issuer: cfg.Auth.JWT.Issuer, Audience: cfg.Auth.JWT.Audience, Plan: *plan, TTL: *ttl,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
