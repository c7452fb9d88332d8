package graph

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadBody(t *testing.T) {
	const limit = 10
	tests := []struct {
		name     string
		body     string
		size     int64 // declared
		tooLarge bool
	}{
		{name: "declared exactly", body: "0123456789", size: 10},
		{name: "unknown size", body: "0123", size: -1},
		{name: "declared larger", body: "0123", size: 9},
		{name: "declared smaller", body: "012345", size: 2},
		{name: "empty", body: "", size: 0},
		{name: "over the limit, declared", body: "0123456789ab", size: 12, tooLarge: true},
		{name: "over the limit, unknown", body: "0123456789ab", size: -1, tooLarge: true},
		{name: "over the limit, declared small", body: "0123456789ab", size: 3, tooLarge: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte per Read: the loop must not lose or repeat any.
			got, tooLarge, err := readBody(iotest.OneByteReader(strings.NewReader(tt.body)), tt.size, limit)
			if err != nil {
				t.Fatal(err)
			}
			if tooLarge != tt.tooLarge {
				t.Fatalf("tooLarge = %v, want %v", tooLarge, tt.tooLarge)
			}
			if !tooLarge && string(got) != tt.body {
				t.Errorf("body %q, want %q", got, tt.body)
			}
		})
	}
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		if _, _, err := readBody(io.MultiReader(strings.NewReader("01"), iotest.ErrReader(boom)), 5, limit); !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
	})
}
