package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trellisgw/trellis/graph"
	"github.com/trellisgw/trellis/graph/auth"
	"github.com/trellisgw/trellis/graph/cost"
	"github.com/trellisgw/trellis/graph/persisted"
	"github.com/trellisgw/trellis/graph/ratelimit"
	"github.com/trellisgw/trellis/graph/usage"
	"github.com/trellisgw/trellis/internal/configerr"
	"github.com/trellisgw/trellis/internal/gctune"
	"github.com/trellisgw/trellis/telemetry"
	"github.com/trellisgw/trellis/upstreams"
)

// Config is the gateway's one config file. Each section belongs to the package that uses it, which
// owns its defaults and validation; this type only composes them.
type Config struct {
	// Server is the HTTP surface and the executor (package graph).
	Server graph.Config `yaml:"server"`
	// Upstreams locates the upstream services (package upstreams).
	Upstreams upstreams.Config `yaml:"upstreams"`
	// Log configures the process's logs.
	Log LogConfig `yaml:"log"`
	// Telemetry configures traces, metrics and the per-operation analytics (package telemetry).
	Telemetry telemetry.Config `yaml:"telemetry"`
	// PersistedQueries configures automatic persisted queries and trusted documents (package graph/persisted).
	PersistedQueries persisted.Config `yaml:"persisted_queries"`
	// Auth verifies callers, authorizes fields and propagates identity to upstreams (package graph/auth).
	Auth auth.Config `yaml:"auth"`
	// Cost prices operations and bounds the cost of one (package graph/cost).
	Cost cost.Config `yaml:"cost"`
	// RateLimit gives clients budgets of cost points and meters their use (package graph/ratelimit).
	RateLimit ratelimit.Config `yaml:"rate_limit"`
	// Runtime tunes the Go garbage collector of the gateway process (package internal/gctune).
	Runtime gctune.Config `yaml:"runtime"`
	// SchemaUsage counts which schema coordinates client applications use (package graph/usage).
	SchemaUsage usage.Config `yaml:"schema_usage"`
	// Cache is the entity cache in front of the upstreams' batch look-ups (package upstreams).
	Cache upstreams.CacheConfig `yaml:"cache"`
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
	c.Upstreams = c.Upstreams.WithDefaults()
	c.Log = c.Log.withDefaults()
	c.Telemetry = c.Telemetry.WithDefaults()
	c.PersistedQueries = c.PersistedQueries.WithDefaults()
	c.Auth = c.Auth.WithDefaults()
	c.Cost = c.Cost.WithDefaults()
	c.RateLimit = c.RateLimit.WithDefaults()
	c.Runtime = c.Runtime.WithDefaults()
	c.SchemaUsage = c.SchemaUsage.WithDefaults()
	c.Cache = c.Cache.WithDefaults()
	return c
}

// Validate reports every problem of every section at once, each naming its full key.
func (c Config) Validate() error {
	var errs []error
	add := func(section string, err error) {
		if err != nil {
			errs = append(errs, configerr.Prefix(section, err))
		}
	}
	add("server", c.Server.Validate())
	add("upstreams", c.Upstreams.Validate())
	add("log", c.Log.validate())
	add("telemetry", c.Telemetry.Validate())
	add("persisted_queries", c.PersistedQueries.Validate())
	add("auth", c.Auth.Validate())
	add("auth", c.Auth.ValidateMode(!c.Mode().DevelopmentSecret))
	if names := c.Upstreams.Names(); len(names) > 0 { // none: the upstreams' own errors say it
		add("auth", c.Auth.ValidateUpstreams(names))
	}
	add("cost", c.Cost.Validate())
	add("rate_limit", c.RateLimit.Validate())
	add("runtime", c.Runtime.Validate())
	add("schema_usage", c.SchemaUsage.Validate())
	add("cache", c.Cache.Validate())
	return errors.Join(errs...)
}

// Parse reads a YAML config: unknown keys are errors, missing keys take their defaults, and the result
// is validated. The error lists every problem found, each naming its key.
func Parse(r io.Reader) (Config, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var decodeErr error
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return Config{}, fmt.Errorf("config: %w", err) // a syntax error: nothing was decoded
		}
		decodeErr = err // yaml decoded everything else: report these problems with the invalid values
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) && !emptyDocument(&more) {
		return Config{}, errors.New("config: the file holds more than one YAML document; keep one")
	}
	var root yaml.Node // for naming the keys of the lines yaml reports, and the secrets' _file keys
	_ = yaml.Unmarshal(raw, &root)
	files := findSecretFiles(&root, &c)
	if decodeErr != nil {
		decodeErr = nameKeys(&root, decodeErr, files)
	}
	secretsErr := applySecrets(&c, files, os.LookupEnv)
	c = c.WithDefaults()
	if err := errors.Join(decodeErr, secretsErr, c.Validate()); err != nil {
		return Config{}, fmt.Errorf("config is invalid:\n%w", err)
	}
	return c, nil
}

// emptyDocument reports whether n is a YAML document with no content (a trailing "---", comments only,
// or an explicit null), as templating tools often emit.
func emptyDocument(n *yaml.Node) bool {
	if n.Kind == 0 {
		return true
	}
	if n.Kind == yaml.DocumentNode {
		return len(n.Content) == 0 || emptyDocument(n.Content[0])
	}
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// lineMsg matches the "line N: message" entries of a yaml.TypeError.
var lineMsg = regexp.MustCompile(`^line (\d+): (.*)$`)

// nameKeys rewrites yaml's "line N: …" type errors to name the key at that line, e.g.
// "server.max_body_bytes (line 3): cannot unmarshal !!str `lots` into int64". The secrets' _file keys,
// unknown to the config types, are not errors.
func nameKeys(root *yaml.Node, err error, files []secretFile) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	errs := make([]error, 0, len(te.Errors))
	for _, msg := range te.Errors {
		m := lineMsg.FindStringSubmatch(msg)
		if m == nil {
			errs = append(errs, errors.New(msg))
			continue
		}
		line, _ := strconv.Atoi(m[1])
		detail := m[2]
		if strings.HasPrefix(detail, "field ") && strings.Contains(detail, " not found in type ") {
			if slices.ContainsFunc(files, func(f secretFile) bool { return f.line == line }) {
				continue
			}
			detail = "unknown key"
		}
		key := keyAt(root, line, "")
		if to, ok := movedKeys[strings.TrimSuffix(key, fileSuffix)]; ok && detail == "unknown key" {
			detail = "moved to " + to + strings.TrimPrefix(key, strings.TrimSuffix(key, fileSuffix))
		}
		if key != "" {
			errs = append(errs, fmt.Errorf("%s (line %d): %s", key, line, detail))
		} else {
			errs = append(errs, errors.New(msg))
		}
	}
	return errors.Join(errs...)
}

// movedKeys are keys of earlier releases that now live elsewhere: naming the new key beats "unknown key".
var movedKeys = map[string]string{
	"telemetry.analytics.admin_token": "server.admin_token",
	"rate_limit.usage.admin_token":    "server.admin_token",
	"rate_limit.redis.on_error":       "rate_limit.on_redis_error",
}

// keyAt returns the dotted path of the mapping key written at line, or "": the deepest such key, so
// that for `upstreams: {rest: {accounts: {uri: x}}}` it names upstreams.rest.accounts.uri.
func keyAt(n *yaml.Node, line int, prefix string) string {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if k := keyAt(c, line, prefix); k != "" {
				return k
			}
		}
		return ""
	}
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		path := key.Value
		if prefix != "" {
			path = prefix + "." + key.Value
		}
		if k := keyAt(val, line, path); k != "" {
			return k
		}
		if key.Line == line {
			return path
		}
	}
	return ""
}

// LoadFile parses the config file at path; an empty path means DefaultConfig.
func LoadFile(path string) (Config, error) {
	if path == "" {
		c := DefaultConfig()
		if err := errors.Join(applySecrets(&c, nil, os.LookupEnv), c.Validate()); err != nil {
			return Config{}, fmt.Errorf("config is invalid:\n%w", err)
		}
		return c, nil
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
