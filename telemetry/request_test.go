package telemetry

import (
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name, in string
		keep     bool
	}{
		{"uuid", "0b6f3f9e-6a43-4c1e-9b53-5d8a1e3c2f10", true},
		{"proxy style", "req:abc.123_X", true},
		{"empty", "", false},
		{"too long", strings.Repeat("a", maxRequestIDLen+1), false},
		{"longest", strings.Repeat("a", maxRequestIDLen), true},
		{"space", "abc def", false},
		{"newline (log injection)", "abc\n{\"msg\":\"forged\"}", false},
		{"unicode", "abcé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := requestID(tt.in)
			if tt.keep && got != tt.in {
				t.Errorf("requestID(%q) = %q, want it kept", tt.in, got)
			}
			if !tt.keep && (got == tt.in || len(got) != 32 || !validRequestID(got)) {
				t.Errorf("requestID(%q) = %q, want a new 32-hex-digit id", tt.in, got)
			}
		})
	}
	if requestID("") == requestID("") {
		t.Error("two generated ids are equal")
	}
}

func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "a\nb", strings.Repeat("z", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := requestID(in)
		if !validRequestID(got) {
			t.Fatalf("requestID(%q) = %q is not a valid id", in, got)
		}
		if validRequestID(in) != (got == in) {
			t.Fatalf("requestID(%q) = %q: a valid id must be kept, an invalid one replaced", in, got)
		}
	})
}
