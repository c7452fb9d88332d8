package upstreams

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/trellisgw/trellis/internal/configerr"
	"github.com/trellisgw/trellis/upstreams/rest"
)

// Config is the `upstreams` section of the gateway's config file.
type Config struct {
	// Transport tunes the HTTP transport shared by the REST upstreams.
	Transport rest.Config `yaml:"transport"`
	// Accounts, Products and Reviews are the REST upstreams.
	Accounts RESTConfig `yaml:"accounts"`
	Products RESTConfig `yaml:"products"`
	Reviews  RESTConfig `yaml:"reviews"`
	// Inventory and Orders are the gRPC upstreams.
	Inventory GRPCConfig `yaml:"inventory"`
	Orders    GRPCConfig `yaml:"orders"`
}

// RESTConfig locates one REST upstream.
type RESTConfig struct {
	// URL is the base URL, e.g. "http://127.0.0.1:4101". Required.
	URL string `yaml:"url"`
	// Timeout bounds each call. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
}

// GRPCConfig locates one gRPC upstream.
type GRPCConfig struct {
	// Target is a grpc-go target: "host:port" or "dns:///name:port". Required.
	Target string `yaml:"target"`
	// Timeout bounds each call. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultTimeout bounds an upstream call when the config sets no timeout.
const DefaultTimeout = 2 * time.Second

// DefaultConfig points at the sample services as `make run` starts them.
func DefaultConfig() Config {
	return Config{
		Accounts:  RESTConfig{URL: "http://127.0.0.1:4101"},
		Products:  RESTConfig{URL: "http://127.0.0.1:4201"},
		Reviews:   RESTConfig{URL: "http://127.0.0.1:4301"},
		Inventory: GRPCConfig{Target: "127.0.0.1:4401"},
		Orders:    GRPCConfig{Target: "127.0.0.1:4501"},
	}.WithDefaults()
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.Transport = c.Transport.WithDefaults()
	for _, r := range []*RESTConfig{&c.Accounts, &c.Products, &c.Reviews} {
		if r.Timeout == 0 {
			r.Timeout = DefaultTimeout
		}
	}
	for _, g := range []*GRPCConfig{&c.Inventory, &c.Orders} {
		if g.Timeout == 0 {
			g.Timeout = DefaultTimeout
		}
	}
	return c
}

// Validate reports every invalid field, each named by its key below `upstreams`.
func (c Config) Validate() error {
	var errs []error
	if err := c.Transport.Validate(); err != nil {
		errs = append(errs, configerr.Prefix("transport", err))
	}
	errs = append(errs,
		configerr.Prefix("accounts", c.Accounts.validate()),
		configerr.Prefix("products", c.Products.validate()),
		configerr.Prefix("reviews", c.Reviews.validate()),
		configerr.Prefix("inventory", c.Inventory.validate()),
		configerr.Prefix("orders", c.Orders.validate()),
	)
	return errors.Join(errs...)
}

func (r RESTConfig) validate() error {
	var errs []error
	if r.URL == "" {
		errs = append(errs, errors.New("url: required, e.g. http://host:port"))
	} else if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("url: %q is not an http(s)://host[:port][/path] URL without query", r.URL))
	}
	if r.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: must be >= 0 (0 means %s), got %s", DefaultTimeout, r.Timeout))
	}
	return errors.Join(errs...)
}

func (g GRPCConfig) validate() error {
	var errs []error
	switch {
	case g.Target == "":
		errs = append(errs, errors.New("target: required, e.g. host:port or dns:///name:port"))
	case strings.ContainsAny(g.Target, " \t\r\n"):
		errs = append(errs, fmt.Errorf("target: %q has white space; want host:port or dns:///name:port", g.Target))
	case strings.HasPrefix(g.Target, "http://") || strings.HasPrefix(g.Target, "https://"):
		errs = append(errs, fmt.Errorf("target: %q is a URL; a gRPC target is host:port or dns:///name:port", g.Target))
	}
	if g.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: must be >= 0 (0 means %s), got %s", DefaultTimeout, g.Timeout))
	}
	return errors.Join(errs...)
}
