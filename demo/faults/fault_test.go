package faults

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFaultJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Fault
		wantErr string
	}{
		{name: "all fields", in: `{"latency":"5ms","error_rate":0.5,"down":true}`,
			want: Fault{Latency: 5 * time.Millisecond, ErrorRate: 0.5, Down: true}},
		{name: "empty object is healthy", in: `{}`, want: Fault{}},
		{name: "empty latency", in: `{"latency":""}`, want: Fault{}},
		{name: "max latency", in: `{"latency":"60s","error_rate":1}`, want: Fault{Latency: time.Minute, ErrorRate: 1}},
		{name: "latency too big", in: `{"latency":"61s"}`, wantErr: "latency must be between 0s and 1m0s"},
		{name: "negative latency", in: `{"latency":"-1ms"}`, wantErr: "latency must be between"},
		{name: "latency not a duration", in: `{"latency":"soon"}`, wantErr: "latency must be a duration"},
		{name: "latency a number", in: `{"latency":5}`, wantErr: "invalid fault"},
		{name: "error rate too big", in: `{"error_rate":1.5}`, wantErr: "error_rate must be between 0 and 1"},
		{name: "negative error rate", in: `{"error_rate":-0.1}`, wantErr: "error_rate must be between 0 and 1"},
		{name: "both wrong", in: `{"latency":"2m","error_rate":2}`, wantErr: "error_rate must be between 0 and 1"},
		{name: "unknown field", in: `{"latency":"1ms","delay":"1s"}`, wantErr: `unknown field "delay"`},
		{name: "not an object", in: `[1]`, wantErr: "invalid fault"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Fault
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("error = %v, want one containing %q and wrapping ErrInvalid", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("fault (-got +want):\n%s", diff)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			var back Fault
			if err := json.Unmarshal(b, &back); err != nil || back != got {
				t.Errorf("round trip of %s = %+v, %v", b, back, err)
			}
		})
	}
}

func TestFaultMarshal(t *testing.T) {
	b, err := json.Marshal(Fault{Latency: 5 * time.Millisecond, ErrorRate: 0.5, Down: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"latency":"5ms","error_rate":0.5,"down":true}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func FuzzFaultJSON(f *testing.F) {
	for _, s := range []string{`{"latency":"5ms","error_rate":0.5,"down":true}`, `{}`, `{"latency":"1h"}`, `null`, `{"error_rate":1e309}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Fault
		if err := json.Unmarshal(b, &got); err != nil {
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("accepted %q as %+v, which does not validate: %v", b, got, err)
		}
		out, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", got, err)
		}
		var back Fault
		if err := json.Unmarshal(out, &back); err != nil || back != got {
			t.Fatalf("round trip %+v -> %s -> %+v, %v", got, out, back, err)
		}
	})
}
