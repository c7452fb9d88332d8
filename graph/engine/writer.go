package engine

import (
	"context"
	"strconv"
	"unicode/utf8"
)

// Writer appends JSON to one response buffer. Leaf accessors (generated) write scalars through it;
// nothing on it allocates except the buffer's growth.
type Writer struct {
	buf []byte
	ctx context.Context
}

// Context returns the operation's context, for marshalers of custom scalars and enums.
func (w *Writer) Context() context.Context { return w.ctx }

// Write implements io.Writer, for graphql.Marshaler values (custom scalars, enums).
func (w *Writer) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Null writes null.
func (w *Writer) Null() { w.buf = append(w.buf, "null"...) }

// Bool writes true or false.
func (w *Writer) Bool(v bool) { w.buf = strconv.AppendBool(w.buf, v) }

// Int writes an integer.
func (w *Writer) Int(v int64) { w.buf = strconv.AppendInt(w.buf, v, 10) }

// Float writes a float as gqlgen's MarshalFloat does (%g).
func (w *Writer) Float(v float64) { w.buf = strconv.AppendFloat(w.buf, v, 'g', -1, 64) }

// String writes s as a JSON string, escaped as gqlgen's MarshalString escapes it (control characters,
// quote and backslash; everything else, HTML characters included, as is), except that invalid UTF-8
// becomes U+FFFD (as encoding/json does) where gqlgen passes the bytes through.
func (w *Writer) String(s string) { w.buf = appendQuoted(w.buf, s) }

const hex = "0123456789ABCDEF"

// Repeated bytes for safe8.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	spaces = 0x20 * ones
	quotes = '"' * ones
	slashs = '\\' * ones
)

// safe8 reports whether the 8 bytes of x (little-endian) are all written as they are: ASCII, not a
// control character, a quote or a backslash. (x-n*ones)&^x&highs is non-zero exactly when some byte
// of x is below n (n ≤ 0x80); a byte equal to c is a zero byte of x^(c*ones).
func safe8(x uint64) bool {
	q, bs := x^quotes, x^slashs
	return ((x-spaces)&^x|(q-ones)&^q|(bs-ones)&^bs|x)&highs == 0
}

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		// Most strings need no escaping: eight bytes at a time until one might.
		for i+8 <= len(s) && safe8(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			if c < utf8.RuneSelf {
				continue
			}
			// Multi-byte runes pass through; invalid UTF-8 becomes U+FFFD, as ranging over a string does.
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, "\ufffd"...)
				start = i + 1
				continue
			}
			i += size - 1
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
