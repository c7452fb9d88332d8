// Package secret holds the one type of every configured secret (the HS256 key, admin tokens, Redis
// passwords): a string that prints, logs and marshals as "<redacted>", so that `gateway config print`,
// error messages and log lines never show one. Reading the value is a conversion, string(s) or
// []byte(s), written where the secret is used.
//
// The gateway fills secrets from the config file, from a file named by the key's `*_file` twin, and from
// TRELLIS_… environment variables (package gateway, secrets.go); this package imports nothing of ours.
package secret

import (
	"fmt"
	"log/slog"
)

// Secret is a configured secret. Its zero value is "no secret"; every rendering of a set one is Redacted.
type Secret string

// Redacted is what a set Secret prints as.
const Redacted = "<redacted>"

// String implements fmt.Stringer: "" for no secret, Redacted otherwise.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer (%#v), redacted.
func (s Secret) GoString() string { return fmt.Sprintf("secret.Secret(%q)", s.String()) }

// Format implements fmt.Formatter, so that every verb (%s, %v, %q, %x, %d) prints the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.String())
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// LogValue implements slog.LogValuer, redacted.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML implements yaml.Marshaler, redacted: a config written back out never holds the secret.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText implements encoding.TextMarshaler (encoding/json, slog's JSON handler), redacted.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Interface guards.
var (
	_ fmt.Stringer   = Secret("")
	_ fmt.Formatter  = Secret("")
	_ slog.LogValuer = Secret("")
)
