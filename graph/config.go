package graph

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/internal/configerr"
	"github.com/trellisgw/trellis/internal/secret"
)

// Config is the `server` section of the gateway's config file: the HTTP surface and the executor.
type Config struct {
	// Mode is "development" (the default) or "production". Production turns off what helps developers
	// and helps attackers; package gateway resolves it into explicit settings (gateway.ModeSettings)
	// and hands this package its own: Introspection (set explicitly) and Deps.HideSuggestions.
	Mode string `yaml:"mode"`
	// Addr is the listen address. Default "127.0.0.1:8080".
	Addr string `yaml:"addr"`
	// AdminAddr is the listen address of the admin surface: GET /metrics, /admin/usage and
	// /admin/operations, which expose upstream addresses, health and client-chosen names and so stay
	// off the GraphQL listener. Default "127.0.0.1:9090" (loopback: reachable by a local scraper or a
	// sidecar, not from outside).
	AdminAddr string `yaml:"admin_addr"`
	// AdminToken is the one token of the admin surface: every /admin/ endpoint (not /metrics) needs
	// `Authorization: Bearer <token>` (401 otherwise). Without it the /admin/ endpoints are served in
	// development mode only (404 in production, gateway.ModeSettings.OpenAdminEndpoints). A secret, at
	// least 16 characters. Default empty.
	AdminToken secret.Secret `yaml:"admin_token"`
	// AdminOnMainListener serves the admin surface on Addr as well, and starts no admin listener: the
	// old behaviour, for deployments that block the paths at the edge. Default false.
	AdminOnMainListener bool `yaml:"admin_on_main_listener"`
	// ReadHeaderTimeout bounds reading a request's headers. Default 5s.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// RequestTimeout bounds a whole GraphQL request, upstream calls included; no upstream call outlives
	// it. Default 30s.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// MaxConcurrentOperations bounds the GraphQL requests (GET and POST /graphql) that run at once;
	// those over it wait in arrival order, before their body is read, and one still waiting when its
	// deadline (RequestTimeout) passes is answered 503 with SERVER_OVERLOADED and Retry-After. A batch
	// counts as one. It bounds memory: each running request holds its working set. 0 (the default)
	// means 32 × GOMAXPROCS (ConcurrencyLimit); -1 means no limit. The limit also caps throughput at
	// about limit ÷ request latency: raise it when upstreams are slow.
	MaxConcurrentOperations int `yaml:"max_concurrent_operations"`
	// ShutdownTimeout is how long in-flight requests may finish after a stop signal. Default 10s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// MaxBodyBytes bounds a request body. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxTokens bounds how many tokens the parser reads from one query; a longer query fails with
	// GRAPHQL_PARSE_FAILED before any work grows with its size. Default 5000 (the
	// standard introspection query has about 180 tokens, the reference query about 100).
	MaxTokens int `yaml:"max_tokens"`
	// DocumentCache holds parsed and validated documents, keyed by query text, so that a repeated query
	// is not parsed and validated again. Queries over 8 KiB are not kept. Default size 1000, no TTL.
	DocumentCache cache.Config `yaml:"document_cache"`
	// Introspection allows __schema and __type queries, GET /schema.graphql and GraphiQL. Nil (the
	// default) means on in development and off in production; set it to override the mode. Off, __schema and __type fail with
	// GRAPHQL_VALIDATION_FAILED and __typename still works.
	Introspection *bool `yaml:"introspection"`
	// ShutdownDelay is how long, after a stop signal, the gateway keeps serving while /readyz answers
	// 503 (and every response says Connection: close, so keep-alive clients reconnect elsewhere without
	// a reset), so that load balancers stop sending it traffic before its listener closes. Default 0s.
	ShutdownDelay time.Duration `yaml:"shutdown_delay"`
	// Limits bound the shape of each operation; see Limits.
	Limits Limits `yaml:"limits"`
	// CSRFPrevention refuses requests a browser could send cross-site without a preflight.
	CSRFPrevention CSRFConfig `yaml:"csrf_prevention"`
	// Batching allows a POST body to be a JSON array of operations. Off by default.
	Batching BatchConfig `yaml:"batching"`
	// CORS lets browser frontends on other origins call the gateway. Off by default; see CORSConfig.
	CORS CORSConfig `yaml:"cors"`
	// CacheControl tunes the Cache-Control of responses (computed from the schema's @cacheControl).
	CacheControl CacheControlConfig `yaml:"cache_control"`
}

// CacheControlConfig tunes the response Cache-Control computed from the operation's fields.
type CacheControlConfig struct {
	// DefaultMaxAge is the maxAge of fields that have no @cacheControl hint. Default 0s: such a field
	// makes the response no-store.
	DefaultMaxAge time.Duration `yaml:"default_max_age"`
}

// operationsPerCPU is the default of MaxConcurrentOperations per GOMAXPROCS: enough for the cores to
// stay busy while requests wait on their upstreams, few enough that the working sets of the requests
// in flight stay bounded. Measured with make bench on 2 cores (reference query, 2 ms per upstream
// call): at 256 connections 8 per core lost 15-30 % of the throughput, 16 none (peak RSS 138-147 MB),
// 32 none either but 172-187 MB (430 MB without a gate). 16 per core, though, capped cheap requests: at
// 64 connections the small query and the mutation (one upstream call each) served 0.61 and 0.57 × the
// floor's requests per second with it, 0.90 and 0.82 × without a gate (the cap is about limit ÷
// latency, and a cheap request's latency is mostly its upstream's). A count cannot tell a 0.1 KB request
// from a 95 KB one; 32 per core keeps cheap requests unthrottled at 64 connections and the heavy ones'
// peak at about 0.7 × the floor's at 256.
const operationsPerCPU = 32

// ConcurrencyLimit resolves MaxConcurrentOperations: the most requests run at once, or -1 for no limit.
// 0 is operationsPerCPU × GOMAXPROCS.
func (c Config) ConcurrencyLimit() int {
	switch {
	case c.MaxConcurrentOperations == 0:
		return operationsPerCPU * runtime.GOMAXPROCS(0)
	case c.MaxConcurrentOperations < 0:
		return -1
	}
	return c.MaxConcurrentOperations
}

// IntrospectionEnabled reports whether introspection (and with it GraphiQL and GET /schema.graphql) is
// allowed: server.introspection when set, else true in development and false in production.
func (c Config) IntrospectionEnabled() bool {
	if c.Introspection != nil {
		return *c.Introspection
	}
	return !c.Production()
}

// Limits bound each operation's document before it runs; a document over one is refused with
// GRAPHQL_VALIDATION_FAILED and extensions.limit naming the key. Fragment spreads count as the
// selections they stand for. Each is > 0.
type Limits struct {
	// MaxDepth is the deepest nesting of fields (`{ a { b } }` is 2). Default 20 (the standard introspection
	// query is 15 deep, the reference query 9).
	MaxDepth int `yaml:"max_depth"`
	// MaxAliases is the most aliased fields in one operation. Default 30.
	MaxAliases int `yaml:"max_aliases"`
	// MaxRootFields is the most fields selected at the root of one operation. Default 20.
	MaxRootFields int `yaml:"max_root_fields"`
	// MaxDirectives is the most directive uses in one operation, known to the schema or not. Default 50.
	MaxDirectives int `yaml:"max_directives"`
	// MaxFields is the most fields in one operation, counted at every spread of their fragments.
	// It bounds the work of validation, which walks the expanded fields. Default 2000 (the standard
	// introspection query has 226 once expanded, the reference query 56).
	MaxFields int `yaml:"max_fields"`
}

// CSRFConfig is Apollo's CSRF prevention rule: a POST must have a Content-Type a browser cannot send
// cross-site without a preflight (not application/x-www-form-urlencoded, multipart/form-data or
// text/plain), and a GET must carry one of RequiredHeaders (or a non-simple Content-Type).
type CSRFConfig struct {
	// Enabled turns the rule on. Default true.
	Enabled *bool `yaml:"enabled"`
	// RequiredHeaders are the headers any of which marks a GET as preflighted. Default
	// X-Apollo-Operation-Name, Apollo-Require-Preflight, GraphQL-Preflight.
	RequiredHeaders []string `yaml:"required_headers"`
}

// On reports whether the rule is enabled (it is unless Enabled is set to false).
func (c CSRFConfig) On() bool { return c.Enabled == nil || *c.Enabled }

// BatchConfig allows batched requests: a POST body that is a JSON array of operations, answered with
// an array of responses in the same order. Each operation counts against every limit.
type BatchConfig struct {
	// Enabled allows batches. Default false.
	Enabled bool `yaml:"enabled"`
	// MaxOperations is the most operations in one batch. Default 10.
	MaxOperations int `yaml:"max_operations"`
}

// The values of Config.Mode.
const (
	ModeDevelopment = "development"
	ModeProduction  = "production"
)

// Production reports whether the gateway runs in production mode.
func (c Config) Production() bool { return c.Mode == ModeProduction }

// DefaultConfig returns the defaults of every field.
func DefaultConfig() Config { return Config{}.WithDefaults() }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeDevelopment
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.AdminAddr == "" {
		c.AdminAddr = "127.0.0.1:9090"
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 5 * time.Second
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = 5000
	}
	if c.DocumentCache.Size == 0 {
		c.DocumentCache.Size = 1000
	}
	// Introspection stays nil when unset: IntrospectionEnabled derives it from the mode, so that a
	// config written out with its defaults still follows a later change of mode.
	c.Limits = c.Limits.withDefaults()
	if c.CSRFPrevention.Enabled == nil {
		on := true
		c.CSRFPrevention.Enabled = &on
	}
	if c.CSRFPrevention.RequiredHeaders == nil {
		c.CSRFPrevention.RequiredHeaders = []string{"X-Apollo-Operation-Name", "Apollo-Require-Preflight", "GraphQL-Preflight"}
	}
	if c.Batching.MaxOperations == 0 {
		c.Batching.MaxOperations = 10
	}
	c.CORS = c.CORS.withDefaults()
	return c
}

func (l Limits) withDefaults() Limits {
	for _, f := range []struct {
		v   *int
		def int
	}{{&l.MaxDepth, 20}, {&l.MaxAliases, 30}, {&l.MaxRootFields, 20}, {&l.MaxDirectives, 50}, {&l.MaxFields, 2000}} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return l
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.Mode != ModeDevelopment && c.Mode != ModeProduction {
		errs = append(errs, fmt.Errorf("mode: must be %q or %q, got %q", ModeDevelopment, ModeProduction, c.Mode))
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("addr: required, e.g. 127.0.0.1:8080"))
	}
	if !c.AdminOnMainListener {
		switch _, port, err := net.SplitHostPort(c.AdminAddr); {
		case err != nil:
			errs = append(errs, fmt.Errorf("admin_addr: %q is not host:port, e.g. 127.0.0.1:9090", c.AdminAddr))
		case c.AdminAddr == c.Addr && port != "0":
			errs = append(errs, fmt.Errorf("admin_addr: %q is addr too: give the admin surface its own port, or set admin_on_main_listener", c.AdminAddr))
		}
	}
	if t := c.AdminToken; t != "" && len(t) < 16 {
		errs = append(errs, errors.New("admin_token: too short, use at least 16 random characters"))
	}
	for key, d := range map[string]time.Duration{
		"read_header_timeout": c.ReadHeaderTimeout, "request_timeout": c.RequestTimeout, "shutdown_timeout": c.ShutdownTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: must be >= 0 (0 = default), got %s", key, d))
		}
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes: must be >= 0 (0 = default), got %d", c.MaxBodyBytes))
	}
	if c.MaxTokens < 0 {
		errs = append(errs, fmt.Errorf("max_tokens: must be >= 0 (0 = default), got %d", c.MaxTokens))
	}
	if c.MaxConcurrentOperations < -1 {
		errs = append(errs, fmt.Errorf("max_concurrent_operations: must be -1 (no limit), 0 (default: %d × GOMAXPROCS) or a number of requests, got %d",
			operationsPerCPU, c.MaxConcurrentOperations))
	}
	if c.ShutdownDelay < 0 {
		errs = append(errs, fmt.Errorf("shutdown_delay: must be >= 0, got %s", c.ShutdownDelay))
	}
	if c.CacheControl.DefaultMaxAge < 0 {
		errs = append(errs, fmt.Errorf("cache_control.default_max_age: must be >= 0 (0s = fields without a hint are not cacheable), got %s", c.CacheControl.DefaultMaxAge))
	}
	for key, v := range map[string]int{
		"limits.max_depth": c.Limits.MaxDepth, "limits.max_aliases": c.Limits.MaxAliases,
		"limits.max_root_fields": c.Limits.MaxRootFields, "limits.max_directives": c.Limits.MaxDirectives,
		"limits.max_fields":       c.Limits.MaxFields,
		"batching.max_operations": c.Batching.MaxOperations,
	} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s: must be >= 0 (0 = default), got %d", key, v))
		}
	}
	for i, h := range c.CSRFPrevention.RequiredHeaders {
		if h == "" || strings.ContainsAny(h, " :\r\n") {
			errs = append(errs, fmt.Errorf("csrf_prevention.required_headers[%d]: %q is not a header name", i, h))
		}
	}
	if err := c.DocumentCache.Validate(); err != nil {
		errs = append(errs, configerr.Prefix("document_cache", err))
	}
	if err := c.CORS.validate(); err != nil {
		errs = append(errs, configerr.Prefix("cors", err))
	}
	return errors.Join(errs...)
}
