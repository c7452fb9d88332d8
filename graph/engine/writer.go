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

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
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
