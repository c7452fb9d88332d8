package cost

import (
	"errors"
	"fmt"
)

// Config is the `cost` section of the gateway's config file.
type Config struct {
	// MaxCost is the most an operation may cost; a dearer one is refused with COST_LIMIT_EXCEEDED before
	// anything runs. Default 100000 (the reference query of DESIGN.md costs 44 526).
	MaxCost int `yaml:"max_cost"`
	// DefaultListSize is the size assumed for a list field with neither a slicing argument nor an
	// assumedSize. Default 10.
	DefaultListSize int `yaml:"default_list_size"`
	// MutationWeight is the weight of a Mutation root field without a @cost of its own. Default 10.
	MutationWeight int `yaml:"mutation_weight"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.MaxCost == 0 {
		c.MaxCost = 100000
	}
	if c.DefaultListSize == 0 {
		c.DefaultListSize = 10
	}
	if c.MutationWeight == 0 {
		c.MutationWeight = 10
	}
	return c
}

// Validate reports every invalid field, each named by its YAML key.
func (c Config) Validate() error {
	var errs []error
	if c.MaxCost < 0 {
		errs = append(errs, fmt.Errorf("max_cost: must be > 0 (0 = default), got %d", c.MaxCost))
	}
	if c.DefaultListSize < 0 {
		errs = append(errs, fmt.Errorf("default_list_size: must be > 0 (0 = default), got %d", c.DefaultListSize))
	}
	if c.MutationWeight < 0 {
		errs = append(errs, fmt.Errorf("mutation_weight: must be > 0 (0 = default), got %d", c.MutationWeight))
	}
	return errors.Join(errs...)
}
