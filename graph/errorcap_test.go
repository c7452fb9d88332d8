package graph

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

func TestCapErrors(t *testing.T) {
	list := func(n int) gqlerror.List {
		var l gqlerror.List
		for i := range n {
			l = append(l, errcode.New(errcode.ValidationFailed, fmt.Sprint(i)))
		}
		return l
	}
	for _, tt := range []struct {
		n, wantLen, wantOmitted int
	}{{0, 0, 0}, {1, 1, 0}, {100, 100, 0}, {101, 100, 2}, {4799, 100, 4700}} {
		got := capErrors(list(tt.n))
		if len(got) != tt.wantLen {
			t.Errorf("%d errors: kept %d, want %d", tt.n, len(got), tt.wantLen)
			continue
		}
		if tt.wantOmitted == 0 {
			continue
		}
		last := got[len(got)-1]
		want := map[string]any{"code": errcode.ValidationFailed, "omittedErrors": tt.wantOmitted}
		if diff := cmp.Diff(last.Extensions, want); diff != "" {
			t.Errorf("%d errors: last extensions (-got +want):\n%s", tt.n, diff)
		}
		if wantMsg := fmt.Sprintf("%d more errors were left out: a response carries at most 100", tt.wantOmitted); last.Message != wantMsg {
			t.Errorf("last message %q, want %q", last.Message, wantMsg)
		}
		if got[98].Message != "98" {
			t.Errorf("error 99 is %q, want the original", got[98].Message)
		}
	}
}

// TestResponsesCarryAtMost100Errors sends a document within every limit that has 150 validation
// errors.
func TestResponsesCarryAtMost100Errors(t *testing.T) {
	var b strings.Builder
	for i := range 150 {
		fmt.Fprintf(&b, "nope%d ", i)
	}
	h := newTestHandler(t, Config{}, Deps{})
	rec := postQuery(t, h, "{ topProducts { "+b.String()+"} }", "application/graphql-response+json")
	var resp gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Errors) != 100 || rec.Code != 400 {
		t.Fatalf("%d: %d errors, want 400 with 100", rec.Code, len(resp.Errors))
	}
	last := resp.Errors[99]
	if last.Extensions["omittedErrors"] != float64(51) || last.Extensions["code"] != errcode.ValidationFailed {
		t.Errorf("last error %s %v", last.Message, last.Extensions)
	}
}

// TestCapErrorsKeepsTheSameErrorsInAnyOrder: two orders of the same errors keep the same ones.
func TestCapErrorsKeepsTheSameErrorsInAnyOrder(t *testing.T) {
	var l gqlerror.List
	for i := range 150 {
		e := errcode.New(errcode.UpstreamUnavailable, "down")
		e.Path = ast.Path{ast.PathName("items"), ast.PathIndex(i), ast.PathName(map[bool]string{true: "a", false: "b"}[i%2 == 0])}
		l = append(l, e)
	}
	reversed := slices.Clone(l)
	slices.Reverse(reversed)
	got, again := capErrors(l), capErrors(reversed)
	paths := func(l gqlerror.List) (out []string) {
		for _, e := range l {
			out = append(out, e.Path.String())
		}
		return out
	}
	if diff := cmp.Diff(paths(got), paths(again)); diff != "" {
		t.Errorf("kept errors differ by order (-forward +reversed):\n%s", diff)
	}
	if p := got[0].Path.String(); p != "items[0].a" {
		t.Errorf("first kept %s, want items[0].a", p)
	}
	if p := got[98].Path.String(); p != "items[98].a" {
		t.Errorf("last kept %s, want items[98].a", p)
	}
}
