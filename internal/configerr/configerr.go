// Package configerr puts config keys in front of validation errors, so that every problem of a config
// file names its full key (e.g. "upstreams.rest.accounts.url: required").
package configerr

import (
	"errors"
	"fmt"
)

// Prefix returns err with "key." in front of each of its problems: when err joins several (it has an
// Unwrap() []error method), each is prefixed on its own, recursively. Prefix(key, nil) is nil.
func Prefix(key string, err error) error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs := joined.Unwrap()
		out := make([]error, len(errs))
		for i, e := range errs {
			out[i] = Prefix(key, e)
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s.%w", key, err)
}
