package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trellisgw/trellis/graph"
	"github.com/trellisgw/trellis/resolvers/loaders"
	"github.com/trellisgw/trellis/upstreams"
)

// Config is the gateway's one config file. Each section belongs to the package that uses it, which
// owns its defaults and validation; this type only composes them.
type Config struct {
	// Server is the HTTP surface and the executor (package graph).
	Server graph.Config `yaml:"server"`
	// Loaders tunes per-request batching (package resolvers/loaders).
	Loaders loaders.Config `yaml:"loaders"`
	// Upstreams locates the upstream services (package upstreams).
	Upstreams upstreams.Config `yaml:"upstreams"`
	// Log configures the process's logs.
	Log LogConfig `yaml:"log"`
}

// LogConfig configures logging.
type LogConfig struct {
	// Level is the least severe level logged: debug, info, warn or error. Default info.
	Level string `yaml:"level"`
}

// SlogLevel returns the configured level; call it only on a valid config.
func (c LogConfig) SlogLevel() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(c.withDefaults().Level))
	return l
}

func (c LogConfig) withDefaults() LogConfig {
	if c.Level == "" {
		c.Level = "info"
	}
	return c
}

func (c LogConfig) validate() error {
	switch strings.ToLower(c.Level) {
	case "debug", "info", "warn", "error":
		return nil
	}
	return fmt.Errorf("level: %q is not one of debug, info, warn, error", c.Level)
}

// DefaultConfig returns the built-in configuration: the gateway on 127.0.0.1:8080 in front of the
// sample services as `make run` starts them.
func DefaultConfig() Config {
	return Config{Upstreams: upstreams.DefaultConfig()}.WithDefaults()
}

// WithDefaults returns c with every section's zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.Server = c.Server.WithDefaults()
	c.Loaders = c.Loaders.WithDefaults()
	c.Upstreams = c.Upstreams.WithDefaults()
	c.Log = c.Log.withDefaults()
	return c
}

// Validate reports every problem of every section at once, each naming its full key.
func (c Config) Validate() error {
	var errs []error
	add := func(section string, err error) {
		if err != nil {
			errs = append(errs, prefixAll(section, err))
		}
	}
	add("server", c.Server.Validate())
	add("loaders", c.Loaders.Validate())
	add("upstreams", c.Upstreams.Validate())
	add("log", c.Log.validate())
	return errors.Join(errs...)
}

// prefixAll puts "section." in front of each joined error.
func prefixAll(section string, err error) error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, prefixAll(section, e))
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s.%w", section, err)
}

// Parse reads a YAML config: unknown keys are errors, missing keys take their defaults, and the result
// is validated. The error lists every problem found.
func Parse(r io.Reader) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("config is invalid:\n%w", err)
	}
	return c, nil
}

// LoadFile parses the config file at path; an empty path means DefaultConfig.
func LoadFile(path string) (Config, error) {
	if path == "" {
		c := DefaultConfig()
		return c, c.Validate()
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(bytes.NewReader(raw))
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
