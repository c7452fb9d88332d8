package graph

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rs/cors"
)

// CORSConfig lets browser frontends served from other origins call the gateway (the `server.cors`
// section). Off by default: without it a browser refuses cross-origin responses, which is the safe
// default for an API that only same-origin pages and non-browser clients use.
type CORSConfig struct {
	// Enabled turns CORS on. Default false.
	Enabled bool `yaml:"enabled"`
	// AllowedOrigins are the origins allowed to call, each exact ("https://app.example.com", scheme,
	// host and port as the browser sends them) or a pattern with one "*" matching any characters
	// ("https://*.example.com"); "*" alone allows every origin (not with AllowCredentials). Required
	// when enabled.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// AllowedMethods are the methods a preflight allows. Default GET, POST.
	AllowedMethods []string `yaml:"allowed_methods"`
	// AllowedHeaders are the request headers a preflight allows. The CSRF rule's required headers
	// (server.csrf_prevention.required_headers) are always added. Default Authorization, Content-Type,
	// Accept, X-API-Key, X-Request-Id, X-Trellis-Trace, traceparent, tracestate, baggage.
	AllowedHeaders []string `yaml:"allowed_headers"`
	// ExposedHeaders are the response headers the page's script may read. Default X-Request-Id,
	// RateLimit, RateLimit-Policy, Retry-After.
	ExposedHeaders []string `yaml:"exposed_headers"`
	// AllowCredentials lets the browser send cookies and HTTP authentication, and read the answer.
	// Default false (a bearer token in Authorization needs no credentials mode).
	AllowCredentials bool `yaml:"allow_credentials"`
	// MaxAge is how long a browser may cache a preflight's answer (sent in whole seconds). Default 10m.
	MaxAge time.Duration `yaml:"max_age"`
}

func (c CORSConfig) withDefaults() CORSConfig {
	if c.AllowedOrigins == nil {
		c.AllowedOrigins = []string{}
	}
	if c.AllowedMethods == nil {
		c.AllowedMethods = []string{http.MethodGet, http.MethodPost}
	}
	if c.AllowedHeaders == nil {
		c.AllowedHeaders = []string{"Authorization", "Content-Type", "Accept", "X-API-Key", "X-Request-Id",
			"X-Trellis-Trace", "traceparent", "tracestate", "baggage"}
	}
	if c.ExposedHeaders == nil {
		c.ExposedHeaders = []string{"X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After"}
	}
	if c.MaxAge == 0 {
		c.MaxAge = 10 * time.Minute
	}
	return c
}

// validate reports every invalid field, each named by its key under cors.
func (c CORSConfig) validate() error {
	var errs []error
	if c.Enabled && len(c.AllowedOrigins) == 0 {
		errs = append(errs, errors.New(`allowed_origins: required when enabled, e.g. ["https://app.example.com"]`))
	}
	for i, o := range c.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("allowed_origins[%d]: %q %w", i, o, err))
		}
		if o == "*" && c.AllowCredentials {
			errs = append(errs, fmt.Errorf(`allowed_origins[%d]: "*" cannot be used with allow_credentials (browsers refuse it): list the origins`, i))
		}
	}
	for i, m := range c.AllowedMethods {
		if m == "" || strings.ToUpper(m) != m || strings.ContainsAny(m, " :\r\n") {
			errs = append(errs, fmt.Errorf("allowed_methods[%d]: %q is not an upper-case method name", i, m))
		}
	}
	for key, hs := range map[string][]string{"allowed_headers": c.AllowedHeaders, "exposed_headers": c.ExposedHeaders} {
		for i, h := range hs {
			if h == "" || strings.ContainsAny(h, " :\r\n") {
				errs = append(errs, fmt.Errorf("%s[%d]: %q is not a header name", key, i, h))
			}
		}
	}
	if c.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("max_age: must be >= 0 (0 = default), got %s", c.MaxAge))
	}
	return errors.Join(errs...)
}

// checkOrigin accepts "*", or scheme://host[:port] with at most one "*" in the host.
func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	if strings.Count(o, "*") > 1 {
		return errors.New("has more than one *")
	}
	u, err := url.Parse(strings.Replace(o, "*", "x", 1))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return errors.New("is not an origin: want scheme://host[:port], e.g. https://app.example.com or https://*.example.com")
	}
	return nil
}

// CORS wraps next with the CORS policy of cfg (the server section, defaults applied): preflights
// (OPTIONS with Origin and Access-Control-Request-Method) are answered here, 204 with the allowed
// methods, headers and max age for an allowed origin and without any Access-Control-* header
// otherwise; other requests from an allowed origin get Access-Control-Allow-Origin (and -Credentials,
// -Expose-Headers) and Vary: Origin. Off (the default), next is returned as is. rs/cors does the
// matching and the header work.
func CORS(cfg Config, next http.Handler) http.Handler {
	cfg = cfg.WithDefaults()
	c := cfg.CORS
	if !c.Enabled {
		return next
	}
	headers := slices.Clone(c.AllowedHeaders)
	if cfg.CSRFPrevention.On() {
		headers = append(headers, cfg.CSRFPrevention.RequiredHeaders...)
	}
	return cors.New(cors.Options{
		AllowedOrigins:       c.AllowedOrigins,
		AllowedMethods:       c.AllowedMethods,
		AllowedHeaders:       headers,
		ExposedHeaders:       c.ExposedHeaders,
		AllowCredentials:     c.AllowCredentials,
		MaxAge:               int(c.MaxAge / time.Second),
		OptionsSuccessStatus: http.StatusNoContent,
	}).Handler(next)
}
