package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// FuzzWriterString: the writer's strings are valid JSON that decodes as encoding/json's encoding of
// the same string does (invalid UTF-8 replaced byte by byte), and for valid UTF-8 are gqlgen's
// MarshalString byte for byte.
func FuzzWriterString(f *testing.F) {
	for _, s := range []string{"", "plain", "exactly8", "sixteen bytes ok", `q"uo\te`, "tab\tnl\ncr\r", "\x01\x1f\x7f",
		"<b>&amp;</b>", "ünïcödé ☃", "bad\xffutf8", "12345678\"", "1234567\\8", "\u2028\u2029", "abcdefg\x00hij"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var w Writer
		w.String(s)
		var got string
		if err := json.Unmarshal(w.buf, &got); err != nil {
			t.Fatalf("%q written as invalid JSON %s: %v", s, w.buf, err)
		}
		ref, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var want string
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%q decodes as %q, encoding/json's as %q", s, got, want)
		}
		if utf8.ValidString(s) {
			var gql strings.Builder
			graphql.MarshalString(s).MarshalGQL(&gql)
			if string(w.buf) != gql.String() {
				t.Errorf("%q: wrote %s, gqlgen writes %s", s, w.buf, gql.String())
			}
		}
	})
}

func TestSafe8(t *testing.T) {
	for c := range 256 {
		want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
		for pos := range 8 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			var x uint64
			for i := range 8 {
				x |= uint64(b[i]) << (8 * i)
			}
			if got := safe8(x); got != want {
				t.Errorf("byte %#x at %d: safe8 %v, want %v", c, pos, got, want)
			}
		}
	}
}

func BenchmarkWriterString(b *testing.B) {
	s := strings.Repeat("A plain review body, nothing to escape in it. ", 4)
	var w Writer
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		w.buf = w.buf[:0]
		w.String(s)
	}
}
