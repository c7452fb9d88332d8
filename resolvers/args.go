package resolvers

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/model"
)

// maxFirst is the largest page or list size a client may ask for.
const maxFirst = 100

// firstArg checks a `first` argument (0..maxFirst); nil means def.
func firstArg(first *int, def int) (int, error) {
	if first == nil {
		return def, nil
	}
	if *first < 0 || *first > maxFirst {
		return 0, errcode.BadInput("first", "first must be between 0 and "+strconv.Itoa(maxFirst))
	}
	return *first, nil
}

// head returns at most n leading items of s.
func head[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// cursorPrefix marks Trellis offset cursors, so that a cursor of another API is refused, not misread.
const cursorPrefix = "trellis:offset:"

// encodeCursor returns the opaque cursor of the item at offset.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(offset)))
}

// afterArg decodes an `after` cursor into the offset of the first item to return.
func afterArg(after *string) (int, error) {
	if after == nil || *after == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*after)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(raw), cursorPrefix); ok {
			if n, err := strconv.Atoi(rest); err == nil && n >= 0 && n < 1<<30 {
				return n + 1, nil
			}
		}
	}
	return 0, errcode.BadInput("after", "after is not a cursor of this list")
}

// pageInfo describes the page of n items starting at offset in a list of total items.
func pageInfo(offset, n, total int) *model.PageInfo {
	pi := &model.PageInfo{HasPreviousPage: offset > 0, HasNextPage: offset+n < total}
	if n > 0 {
		start, end := encodeCursor(offset), encodeCursor(offset+n-1)
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}
