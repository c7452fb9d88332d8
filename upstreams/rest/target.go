package rest

import (
	"net/url"
	"slices"
	"strings"
)

// target is the URL of path with query on the instance at addr, built in one allocation: the same
// text as scheme://addr + prefix + path + "?" + query.Encode(), which costs a concatenation, a sorted
// copy of the keys and a growing buffer per call.
func (c *Client) target(addr, path string, query url.Values) string {
	var small [4]string // the keys of a query; the clients' have one or two
	keys := small[:0]
	n := len(c.scheme) + len("://") + len(addr) + len(c.prefix) + len(path)
	for k, vs := range query {
		keys = append(keys, k)
		for _, v := range vs {
			n += queryEscapedLen(k) + len("=") + queryEscapedLen(v) + len("&")
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(n)
	b.WriteString(c.scheme)
	b.WriteString("://")
	b.WriteString(addr)
	b.WriteString(c.prefix)
	b.WriteString(path)
	sep := byte('?')
	for _, k := range keys {
		for _, v := range query[k] {
			b.WriteByte(sep)
			writeQueryEscaped(&b, k)
			b.WriteByte('=')
			writeQueryEscaped(&b, v)
			sep = '&'
		}
	}
	return b.String()
}

// queryUnreserved reports whether url.QueryEscape keeps c as it is.
func queryUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// queryEscapedLen is len(url.QueryEscape(s)).
func queryEscapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if !queryUnreserved(s[i]) && s[i] != ' ' {
			n += 2
		}
	}
	return n
}

// writeQueryEscaped writes url.QueryEscape(s) to b without making the escaped string.
func writeQueryEscaped(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case queryUnreserved(c):
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}
