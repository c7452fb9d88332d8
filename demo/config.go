package demo

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strings"

	"github.com/trellisgw/trellis/demo/data"
)

// Service names.
const (
	Accounts  = "accounts"
	Products  = "products"
	Reviews   = "reviews"
	Inventory = "inventory"
	Orders    = "orders"
)

// Services returns the names of all sample services, REST ones first.
func Services() []string {
	return []string{Accounts, Products, Reviews, Inventory, Orders}
}

// Limits and defaults of Config.
const (
	// MaxReplicas is the largest number of instances per service.
	MaxReplicas = 16
	// DefaultHost is the host the instances listen on when Config.Host is empty.
	DefaultHost = "127.0.0.1"
	// DefaultAdminAddr is the admin endpoint's address when Config.AdminAddr is empty.
	DefaultAdminAddr = "127.0.0.1:0"

	// maxUsers, maxProducts and maxPerUser bound the data set so a typo cannot exhaust memory.
	maxUsers, maxProducts, maxPerUser = 1_000_000, 1_000_000, 1_000
)

// Config describes a Cluster. The zero value is valid: one instance of each service on random
// loopback ports, the default data set, the admin endpoint on a random loopback port.
type Config struct {
	// Data sizes and seeds the data set; zero fields take data.DefaultConfig's values.
	Data data.Config
	// Host is the host every instance listens on. Default DefaultHost.
	Host string
	// Replicas is the number of instances per service, 1..MaxReplicas. Zero means 1.
	Replicas int
	// BasePorts maps a service name to the port of its first instance; the others take the next
	// ports. A service that is absent or maps to 0 listens on random free ports.
	BasePorts map[string]int
	// AdminAddr is the host:port of the admin endpoint. Default DefaultAdminAddr.
	AdminAddr string
	// Logger receives the cluster's logs. Default: logs are discarded.
	Logger *slog.Logger
	// CacheControl maps a REST service's name (Accounts, Products, Reviews) to the Cache-Control header
	// its look-ups (GET requests but /healthz and /openapi.json) answer with, e.g. "public, max-age=60".
	// A service that is absent sends none.
	CacheControl map[string]string
}

// WithDefaults returns c with its empty fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.Data = c.Data.WithDefaults()
	if c.Host == "" {
		c.Host = DefaultHost
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.AdminAddr == "" {
		c.AdminAddr = DefaultAdminAddr
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every problem of c at once, each naming its field.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	checkSize := func(name string, v, hi int) {
		if v < 0 || v > hi {
			add("Data.%s must be between 0 (default) and %d, got %d", name, hi, v)
		}
	}
	checkSize("Users", c.Data.Users, maxUsers)
	checkSize("Products", c.Data.Products, maxProducts)
	checkSize("ReviewsPerUser", c.Data.ReviewsPerUser, maxPerUser)
	checkSize("OrdersPerUser", c.Data.OrdersPerUser, maxPerUser)
	checkSize("TopProducts", c.Data.TopProducts, maxProducts)

	if c.Host != "" && (strings.ContainsAny(c.Host, " \t/") || (strings.Contains(c.Host, ":") && net.ParseIP(c.Host) == nil)) {
		add("Host must be a host name or IP address without port, got %q", c.Host)
	}
	if c.Replicas < 0 || c.Replicas > MaxReplicas {
		add("Replicas must be between 1 and %d (0 means 1), got %d", MaxReplicas, c.Replicas)
	}
	replicas := max(c.Replicas, 1)

	type span struct {
		svc      string
		from, to int
	}
	var spans []span
	names := make([]string, 0, len(c.BasePorts))
	for svc := range c.BasePorts {
		names = append(names, svc)
	}
	sort.Strings(names)
	for _, svc := range names {
		port := c.BasePorts[svc]
		switch {
		case !slices.Contains(Services(), svc):
			add("BasePorts: unknown service %q, want one of %s", svc, strings.Join(Services(), ", "))
		case port < 0 || port+replicas-1 > 65535:
			add("BasePorts[%s] must be between 0 (random) and %d for %d replicas, got %d", svc, 65536-replicas, replicas, port)
		case port > 0:
			spans = append(spans, span{svc, port, port + replicas - 1})
		}
	}
	for i, a := range spans {
		for _, b := range spans[i+1:] {
			if a.from <= b.to && b.from <= a.to {
				add("BasePorts: ports %d-%d of %s overlap ports %d-%d of %s", a.from, a.to, a.svc, b.from, b.to, b.svc)
			}
		}
	}
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			add("AdminAddr must be host:port, got %q: %w", c.AdminAddr, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("demo: invalid config: %w", err)
	}
	return nil
}
