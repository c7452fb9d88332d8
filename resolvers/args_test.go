package resolvers

import (
	"encoding/base64"
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/model"
)

func ptr[T any](v T) *T { return &v }

// wantBadInput fails t unless err is a BAD_USER_INPUT error about field.
func wantBadInput(t *testing.T, err error, field string) {
	t.Helper()
	var ge *gqlerror.Error
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v (%T), want a *gqlerror.Error", err, err)
	}
	if errcode.Code(ge) != errcode.BadUserInput || ge.Extensions["field"] != field {
		t.Errorf("extensions = %v, want code %s and field %q", ge.Extensions, errcode.BadUserInput, field)
	}
	if ge.Message == "" {
		t.Error("empty message")
	}
}

func TestFirstArg(t *testing.T) {
	tests := []struct {
		name    string
		first   *int
		def     int
		want    int
		wantErr bool
	}{
		{name: "nil takes the default", first: nil, def: 10, want: 10},
		{name: "nil with zero default", first: nil, def: 0, want: 0},
		{name: "zero", first: ptr(0), def: 10, want: 0},
		{name: "one", first: ptr(1), def: 10, want: 1},
		{name: "max", first: ptr(maxFirst), def: 10, want: maxFirst},
		{name: "above max", first: ptr(maxFirst + 1), def: 10, wantErr: true},
		{name: "negative", first: ptr(-1), def: 10, wantErr: true},
		{name: "min int", first: ptr(-1 << 63), def: 10, wantErr: true},
		{name: "huge", first: ptr(1 << 40), def: 10, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := firstArg(tt.first, tt.def)
			if tt.wantErr {
				wantBadInput(t, err, "first")
				if got != 0 {
					t.Errorf("got %d with an error, want 0", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("firstArg = %d, %v, want %d, nil", got, err, tt.want)
			}
		})
	}
}

func TestAfterArg(t *testing.T) {
	b64 := func(s string) *string { return ptr(base64.RawURLEncoding.EncodeToString([]byte(s))) }
	tests := []struct {
		name    string
		after   *string
		want    int
		wantErr bool
	}{
		{name: "nil starts at 0", after: nil, want: 0},
		{name: "empty starts at 0", after: ptr(""), want: 0},
		{name: "cursor of 0", after: ptr(encodeCursor(0)), want: 1},
		{name: "cursor of 41", after: ptr(encodeCursor(41)), want: 42},
		{name: "largest accepted", after: ptr(encodeCursor(1<<30 - 1)), want: 1 << 30},
		{name: "too large", after: ptr(encodeCursor(1 << 30)), wantErr: true},
		{name: "beyond int64", after: b64(cursorPrefix + "99999999999999999999999"), wantErr: true},
		{name: "negative", after: ptr(encodeCursor(-1)), wantErr: true},
		{name: "plus sign", after: b64(cursorPrefix + "+5"), want: 6}, // strconv.Atoi accepts it; harmless
		{name: "not base64", after: ptr("%%%not-base64"), wantErr: true},
		{name: "padded base64", after: ptr(base64.URLEncoding.EncodeToString([]byte(cursorPrefix + "1"))), wantErr: true},
		{name: "std base64 of another API", after: b64("arrayconnection:3"), wantErr: true},
		{name: "plain number", after: ptr("3"), wantErr: true},
		{name: "prefix only", after: b64(cursorPrefix), wantErr: true},
		{name: "not a number", after: b64(cursorPrefix + "abc"), wantErr: true},
		{name: "trailing garbage", after: b64(cursorPrefix + "3x"), wantErr: true},
		{name: "spaces", after: b64(cursorPrefix + " 3"), wantErr: true},
		{name: "prefix case", after: b64("TRELLIS:OFFSET:3"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := afterArg(tt.after)
			if tt.wantErr {
				wantBadInput(t, err, "after")
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("afterArg = %d, %v, want %d, nil", got, err, tt.want)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, off := range []int{0, 1, 9, 10, 99, 12345, 1<<30 - 1} {
		c := encodeCursor(off)
		got, err := afterArg(&c)
		if err != nil || got != off+1 {
			t.Errorf("afterArg(encodeCursor(%d)) = %d, %v, want %d", off, got, err, off+1)
		}
	}
}

func TestPageInfo(t *testing.T) {
	c := func(off int) *string { return ptr(encodeCursor(off)) }
	tests := []struct {
		name             string
		offset, n, total int
		want             *model.PageInfo
	}{
		{name: "empty list", offset: 0, n: 0, total: 0, want: &model.PageInfo{}},
		{name: "first: 0 of a list", offset: 0, n: 0, total: 5, want: &model.PageInfo{HasNextPage: true}},
		{name: "whole list", offset: 0, n: 3, total: 3, want: &model.PageInfo{StartCursor: c(0), EndCursor: c(2)}},
		{name: "first page", offset: 0, n: 2, total: 5,
			want: &model.PageInfo{HasNextPage: true, StartCursor: c(0), EndCursor: c(1)}},
		{name: "middle page", offset: 2, n: 2, total: 5,
			want: &model.PageInfo{HasNextPage: true, HasPreviousPage: true, StartCursor: c(2), EndCursor: c(3)}},
		{name: "last page", offset: 4, n: 1, total: 5,
			want: &model.PageInfo{HasPreviousPage: true, StartCursor: c(4), EndCursor: c(4)}},
		{name: "after the end", offset: 7, n: 0, total: 5, want: &model.PageInfo{HasPreviousPage: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pageInfo(tt.offset, tt.n, tt.total)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("pageInfo(%d, %d, %d) (-got +want):\n%s", tt.offset, tt.n, tt.total, diff)
			}
		})
	}
}

// TestPageInfoCursorsResume checks that passing endCursor as `after` resumes right after the page.
func TestPageInfoCursorsResume(t *testing.T) {
	pi := pageInfo(3, 4, 20)
	next, err := afterArg(pi.EndCursor)
	if err != nil || next != 7 {
		t.Errorf("afterArg(endCursor) = %d, %v, want 7", next, err)
	}
	start, err := afterArg(pi.StartCursor)
	if err != nil || start != 4 {
		t.Errorf("afterArg(startCursor) = %d, %v, want 4", start, err)
	}
}

func TestHead(t *testing.T) {
	s := []int{1, 2, 3}
	tests := []struct {
		name string
		in   []int
		n    int
		want []int
	}{
		{name: "nil", in: nil, n: 3, want: nil},
		{name: "zero", in: s, n: 0, want: []int{}},
		{name: "fewer", in: s, n: 2, want: []int{1, 2}},
		{name: "exact", in: s, n: 3, want: []int{1, 2, 3}},
		{name: "more", in: s, n: 10, want: []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(head(tt.in, tt.n), tt.want); diff != "" {
				t.Errorf("head(%v, %d) (-got +want):\n%s", tt.in, tt.n, diff)
			}
		})
	}
}

func FuzzAfterArg(f *testing.F) {
	for _, s := range []string{"", "x", encodeCursor(0), encodeCursor(99), encodeCursor(-1), encodeCursor(1 << 30),
		base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + "007")), "dHJlbGxpczpvZmZzZXQ6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := afterArg(&s)
		if err != nil {
			wantBadInput(t, err, "after")
			if n != 0 {
				t.Errorf("afterArg(%q) = %d with an error, want 0", s, n)
			}
			return
		}
		if s == "" {
			if n != 0 {
				t.Errorf("afterArg(\"\") = %d, want 0", n)
			}
			return
		}
		if n < 1 || n > 1<<30 {
			t.Fatalf("afterArg(%q) = %d, out of range", s, n)
		}
		// An accepted cursor names offset n-1: its canonical form decodes to the same offset.
		c := encodeCursor(n - 1)
		if again, err := afterArg(&c); err != nil || again != n {
			t.Errorf("round trip of %q: afterArg(%q) = %d, %v, want %d", s, c, again, err, n)
		}
		if _, err := strconv.Atoi(string(mustDecode(t, s))[len(cursorPrefix):]); err != nil {
			t.Errorf("accepted %q whose offset does not parse: %v", s, err)
		}
	})
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("accepted %q, which is not raw URL base64: %v", s, err)
	}
	return b
}

func TestConnectionArgs(t *testing.T) {
	tests := []struct {
		name       string
		first      *int
		after      *string
		wantN      int
		wantOffset int
		wantField  string // the argument a BAD_USER_INPUT error names; "" means no error
	}{
		{name: "defaults", wantN: 10, wantOffset: 0},
		{name: "both set", first: ptr(3), after: ptr(encodeCursor(4)), wantN: 3, wantOffset: 5},
		{name: "first: 0", first: ptr(0), wantN: 0, wantOffset: 0},
		{name: "bad first", first: ptr(101), after: ptr(encodeCursor(4)), wantField: "first"},
		{name: "bad after", first: ptr(3), after: ptr("nope"), wantField: "after"},
		{name: "both bad names first", first: ptr(-1), after: ptr("nope"), wantField: "first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, offset, err := connectionArgs(tt.first, tt.after)
			if tt.wantField != "" {
				wantBadInput(t, err, tt.wantField)
				return
			}
			if err != nil || n != tt.wantN || offset != tt.wantOffset {
				t.Errorf("connectionArgs = %d, %d, %v, want %d, %d, nil", n, offset, err, tt.wantN, tt.wantOffset)
			}
		})
	}
}
