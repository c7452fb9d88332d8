package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// MaxLatency is the largest latency a Fault may add.
const MaxLatency = 60 * time.Second

// ErrInvalid is wrapped by the errors of Fault.Validate and Fault.UnmarshalJSON.
var ErrInvalid = errors.New("invalid fault")

// Fault is what an instance is told to do wrong. The zero value is a healthy instance.
//
// Its JSON form is {"latency":"5ms","error_rate":0.5,"down":true}, latency as a Go duration string;
// absent fields are zero.
type Fault struct {
	// Latency is added before every call is served, 0..MaxLatency. Zero adds none.
	Latency time.Duration
	// ErrorRate is the share of calls answered with an "unavailable" error, 0..1. Zero fails none.
	ErrorRate float64
	// Down closes the instance's listener and connections; false serves again on the same address.
	Down bool
}

// Validate reports whether f is in range; its error wraps ErrInvalid and names the field.
func (f Fault) Validate() error {
	var errs []error
	if f.Latency < 0 || f.Latency > MaxLatency {
		errs = append(errs, fmt.Errorf("%w: latency must be between 0s and %s, got %s", ErrInvalid, MaxLatency, f.Latency))
	}
	if math.IsNaN(f.ErrorRate) || f.ErrorRate < 0 || f.ErrorRate > 1 {
		errs = append(errs, fmt.Errorf("%w: error_rate must be between 0 and 1, got %v", ErrInvalid, f.ErrorRate))
	}
	return errors.Join(errs...)
}

// String describes f for logs.
func (f Fault) String() string {
	return fmt.Sprintf("latency=%s error_rate=%v down=%v", f.Latency, f.ErrorRate, f.Down)
}

// faultJSON is the wire form of Fault.
type faultJSON struct {
	Latency   string  `json:"latency"`
	ErrorRate float64 `json:"error_rate"`
	Down      bool    `json:"down"`
}

// MarshalJSON implements json.Marshaler.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultJSON{Latency: f.Latency.String(), ErrorRate: f.ErrorRate, Down: f.Down})
}

// UnmarshalJSON implements json.Unmarshaler. It rejects unknown fields and values out of range; its
// errors wrap ErrInvalid.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var w struct {
		Latency   *string  `json:"latency"`
		ErrorRate *float64 `json:"error_rate"`
		Down      *bool    `json:"down"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var out Fault
	if w.Latency != nil && *w.Latency != "" {
		d, err := time.ParseDuration(*w.Latency)
		if err != nil {
			return fmt.Errorf("%w: latency must be a duration such as \"250ms\": %w", ErrInvalid, err)
		}
		out.Latency = d
	}
	if w.ErrorRate != nil {
		out.ErrorRate = *w.ErrorRate
	}
	if w.Down != nil {
		out.Down = *w.Down
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*f = out
	return nil
}
