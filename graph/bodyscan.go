package graph

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// scanOperation decodes the request objects clients send most, in one pass without encoding/json's
// reflection and buffering (a json.Decoder copies the body and allocates a dozen times before the
// first member): a body of plain JSON, whose strings hold no \u escape and are valid UTF-8, nested at
// most maxScanDepth deep, with each member named exactly (encoding/json also matches "Query" to
// query). ok is false for anything else, valid or not, and decodeTyped decides; where ok is true the
// result is decodeTyped's (FuzzScanOperation): numbers as json.Number, a repeated member's last value
// (null included) replacing the others', members of the wrong type refused.
func scanOperation(body []byte) (op operation, ok bool) {
	s := scanner{b: body}
	s.space()
	if !s.eat('{') {
		return operation{}, false
	}
	s.space()
	if s.eat('}') {
		return operation{}, s.end()
	}
	for {
		s.space()
		key, ok := s.str()
		if !ok {
			return operation{}, false
		}
		s.space()
		if !s.eat(':') {
			return operation{}, false
		}
		s.space()
		switch key {
		case "query", "operationName", "documentId":
			v, ok := s.optString()
			if !ok {
				return operation{}, false
			}
			switch key {
			case "query":
				op.Query = v
			case "operationName":
				op.OperationName = v
			default:
				op.DocumentID = v
			}
		case "variables", "extensions":
			var m map[string]any
			if !s.lit("null") {
				if s.peek() != '{' {
					return operation{}, false
				}
				v, ok := s.value(1)
				if !ok {
					return operation{}, false
				}
				m = v.(map[string]any)
			}
			if key == "variables" {
				op.Variables = m
			} else {
				op.Extensions = m
			}
		default:
			for _, known := range [...]string{"query", "operationName", "documentId", "variables", "extensions"} {
				if strings.EqualFold(key, known) {
					return operation{}, false // encoding/json's case-insensitive match: decodeTyped decides
				}
			}
			if _, ok := s.value(1); !ok {
				return operation{}, false
			}
		}
		s.space()
		if s.eat('}') {
			return op, s.end()
		}
		if !s.eat(',') {
			return operation{}, false
		}
	}
}

// maxScanDepth bounds the nesting scanOperation decodes itself; deeper bodies go to encoding/json.
const maxScanDepth = 32

// scanner reads JSON from b at i.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) eat(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// lit consumes the literal word (true, false, null) when it comes next.
func (s *scanner) lit(word string) bool {
	if len(s.b)-s.i < len(word) {
		return false
	}
	for j := 0; j < len(word); j++ {
		if s.b[s.i+j] != word[j] {
			return false
		}
	}
	s.i += len(word)
	return true
}

// optString reads a string or null ("").
func (s *scanner) optString() (string, bool) {
	if s.lit("null") {
		return "", true
	}
	return s.str()
}

// str reads a string without \u escapes whose content is valid UTF-8.
func (s *scanner) str() (string, bool) {
	if !s.eat('"') {
		return "", false
	}
	start := s.i
	plain, ascii := true, true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(raw) {
				return "", false // encoding/json replaces invalid bytes: decodeTyped decides
			}
			if plain {
				return string(raw), true
			}
			return unescape(raw)
		case c == '\\':
			plain = false
			s.i += 2
			continue
		case c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
		s.i++
	}
	return "", false
}

// unescape resolves the escapes of a string's content: those of one character; \u is not handled.
func unescape(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i == len(raw) {
			return "", false
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		default: // \u, or not an escape
			return "", false
		}
	}
	return string(out), true
}

// value reads any value at nesting depth (1: a member of the request object).
func (s *scanner) value(depth int) (any, bool) {
	if depth > maxScanDepth {
		return nil, false
	}
	switch c := s.peek(); {
	case c == '"':
		return s.str()
	case c == '{':
		s.i++
		m := map[string]any{}
		s.space()
		if s.eat('}') {
			return m, true
		}
		for {
			s.space()
			k, ok := s.str()
			if !ok {
				return nil, false
			}
			s.space()
			if !s.eat(':') {
				return nil, false
			}
			s.space()
			v, ok := s.value(depth + 1)
			if !ok {
				return nil, false
			}
			m[k] = v
			s.space()
			if s.eat('}') {
				return m, true
			}
			if !s.eat(',') {
				return nil, false
			}
		}
	case c == '[':
		s.i++
		l := []any{}
		s.space()
		if s.eat(']') {
			return l, true
		}
		for {
			s.space()
			v, ok := s.value(depth + 1)
			if !ok {
				return nil, false
			}
			l = append(l, v)
			s.space()
			if s.eat(']') {
				return l, true
			}
			if !s.eat(',') {
				return nil, false
			}
		}
	case c == 't':
		return true, s.lit("true")
	case c == 'f':
		return false, s.lit("false")
	case c == 'n':
		return nil, s.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return nil, false
}

// number reads a number of JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number() (json.Number, bool) {
	start := s.i
	s.eat('-')
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return "", false
	}
	if s.eat('.') && !s.digits() {
		return "", false
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return "", false
		}
	}
	return json.Number(s.b[start:s.i]), true
}

// digits consumes [0-9]+ and reports whether there was one.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
