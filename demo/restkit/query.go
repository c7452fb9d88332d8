package restkit

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxKeys is the most keys one batch look-up may ask for.
const MaxKeys = 500

// Keys returns the values of the query parameter name, in request order with duplicates collapsed.
// It fails with 400 naming the parameter when a value is empty or when more than max values are given
// (counted before duplicates are collapsed, so the work per request stays bounded). Values are opaque:
// they are never interpreted as paths or further queries. No values yields an empty, non-nil slice.
func Keys(q url.Values, name string, max int) ([]string, *Error) {
	vals := q[name]
	if len(vals) > max {
		return nil, InvalidArgument(name, fmt.Sprintf("at most %d %s values are allowed", max, name))
	}
	seen := make(map[string]struct{}, len(vals))
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if v == "" {
			return nil, InvalidArgument(name, name+" must not be empty")
		}
		if _, dup := seen[v]; dup {
			continue
		}
		seen[v] = struct{}{}
		out = append(out, v)
	}
	return out, nil
}

// IntParam returns the integer query parameter name, or def when it is absent. It fails with 400 naming
// the parameter when it is given more than once, is not a decimal integer, or lies outside [lo, hi].
func IntParam(q url.Values, name string, def, lo, hi int) (int, *Error) {
	vals, ok := q[name]
	if !ok {
		return def, nil
	}
	if len(vals) != 1 {
		return 0, InvalidArgument(name, name+" must be given once")
	}
	n, err := strconv.Atoi(vals[0])
	if err != nil {
		return 0, InvalidArgument(name, name+" must be an integer")
	}
	if n < lo || n > hi {
		return 0, InvalidArgument(name, rangeMessage(name, lo, hi))
	}
	return n, nil
}

// rangeMessage words the allowed range of an integer parameter.
func rangeMessage(name string, lo, hi int) string {
	if hi == maxInt {
		return fmt.Sprintf("%s must be at least %d", name, lo)
	}
	return fmt.Sprintf("%s must be between %d and %d", name, lo, hi)
}

const maxInt = int(^uint(0) >> 1)

// Page is a validated limit/offset pair.
type Page struct {
	// Limit is how many items to return, 1..MaxLimit.
	Limit int
	// Offset is how many items to skip, ≥ 0.
	Offset int
}

// Page limits: DefaultLimit applies when limit is absent; MaxLimit is the largest allowed limit.
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// ParsePage reads limit (default DefaultLimit, 1..MaxLimit) and offset (default 0, ≥ 0) from q.
func ParsePage(q url.Values) (Page, *Error) {
	limit, err := IntParam(q, "limit", DefaultLimit, 1, MaxLimit)
	if err != nil {
		return Page{}, err
	}
	offset, err := IntParam(q, "offset", 0, 0, maxInt)
	if err != nil {
		return Page{}, err
	}
	return Page{Limit: limit, Offset: offset}, nil
}

// Window returns the half-open range [from, to) of a list of total items that p selects; from == to
// when the page lies past the end.
func (p Page) Window(total int) (from, to int) {
	from = min(p.Offset, total)
	to = from + min(p.Limit, total-from)
	return from, to
}

// HasPageParams reports whether q holds limit or offset.
func HasPageParams(q url.Values) bool {
	return q.Has("limit") || q.Has("offset")
}

// Search limits: the text of q is 1..MaxSearchChars characters; limit is 1..MaxLimit, DefaultLimit
// when absent.
const MaxSearchChars = 100

// Search is a validated search request: the text to look for and how many matches to return.
type Search struct {
	// Text is the q parameter, 1..MaxSearchChars characters (Unicode code points), matched as is.
	Text string
	// Limit is how many matches to return, 1..MaxLimit.
	Limit int
}

// ParseSearch reads a search request (q, limit) from q; it fails with 400 naming the parameter when q
// is not given exactly once, is empty or too long, when limit is out of range, or when keys (the
// batch key parameter) or offset are given too: a search has no pages.
func ParseSearch(q url.Values, keys string) (Search, *Error) {
	vals := q["q"]
	if len(vals) != 1 {
		return Search{}, InvalidArgument("q", "q must be given once")
	}
	if n := utf8.RuneCountInString(vals[0]); n == 0 || n > MaxSearchChars {
		return Search{}, InvalidArgument("q", fmt.Sprintf("q must be 1 to %d characters", MaxSearchChars))
	}
	if q.Has(keys) || q.Has("offset") {
		return Search{}, InvalidArgument("q", "q cannot be combined with "+keys+" or offset")
	}
	limit, err := IntParam(q, "limit", DefaultLimit, 1, MaxLimit)
	if err != nil {
		return Search{}, err
	}
	return Search{Text: vals[0], Limit: limit}, nil
}

// Matches reports whether any of fields contains the search text, ignoring case.
func (s Search) Matches(fields ...string) bool {
	text := strings.ToLower(s.Text)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), text) {
			return true
		}
	}
	return false
}
