package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// compareMode says how strictly two answers' data must agree.
type compareMode int

const (
	// exactData: data JSON-equal.
	exactData compareMode = iota
	// shapeData: data equal once every non-null scalar is replaced by its JSON kind; for mutations
	// written by hand, whose new ids and times differ between the two runs.
	shapeData
)

// compareOutcomes returns how the engine's answer differs from the oracle's, "" when it does not:
// the HTTP status, data (exactly, or by shape), and errors as a multiset of (path, extensions.code).
// Messages, locations and the order of errors are not compared.
func compareOutcomes(oracle, engine outcome, mode compareMode) string {
	var diffs []string
	if oracle.Status != engine.Status {
		diffs = append(diffs, fmt.Sprintf("status: oracle %d, engine %d", oracle.Status, engine.Status))
	}
	od, err1 := decodeData(oracle.Data)
	ed, err2 := decodeData(engine.Data)
	switch {
	case err1 != nil || err2 != nil:
		diffs = append(diffs, fmt.Sprintf("data does not decode: oracle %v, engine %v", err1, err2))
	default:
		if mode == shapeData {
			od, ed = shapeOf(od), shapeOf(ed)
		}
		if d := firstDifference("data", od, ed); d != "" {
			diffs = append(diffs, d)
		}
	}
	if d := cmp.Diff(errorKeys(oracle.Errors), errorKeys(engine.Errors)); d != "" {
		diffs = append(diffs, "errors by (path, code) (-oracle +engine):\n"+d)
	}
	return strings.Join(diffs, "\n")
}

// decodeData decodes a data member, numbers kept as written; absent and null are both nil.
func decodeData(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// shapeOf replaces every non-null scalar of v by its JSON kind.
func shapeOf(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = shapeOf(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = shapeOf(e)
		}
		return out
	case nil:
		return nil
	default:
		return fmt.Sprintf("<%T>", v)
	}
}

// firstDifference describes the first place (in key order) where a and b differ, "" if nowhere.
func firstDifference(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			ae, aok := av[k]
			be, bok := bv[k]
			if aok != bok {
				return fmt.Sprintf("%s.%s: oracle has it %v, engine %v", path, k, aok, bok)
			}
			if d := firstDifference(path+"."+k, ae, be); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		if len(av) != len(bv) {
			return fmt.Sprintf("%s: oracle has %d items, engine %d", path, len(av), len(bv))
		}
		for i := range av {
			if d := firstDifference(fmt.Sprintf("%s.%d", path, i), av[i], bv[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return fmt.Sprintf("%s: oracle %s, engine %s", path, jsonText(a), jsonText(b))
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// errorKeys returns each error as "path code" (path joined with dots, "-" for none), sorted.
func errorKeys(errs []gqlError) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		parts := make([]string, len(e.Path))
		for i, p := range e.Path {
			parts[i] = fmt.Sprint(p)
		}
		path := strings.Join(parts, ".")
		if path == "" {
			path = "-"
		}
		code, _ := e.Extensions["code"].(string)
		out = append(out, path+" "+code)
	}
	sort.Strings(out)
	return out
}

// moreCalls lists the routes the engine called more often than the oracle, "" if none.
func moreCalls(oracle, engine map[string]int) string {
	var more []string
	for route, n := range engine {
		if n > oracle[route] {
			more = append(more, fmt.Sprintf("%s: engine %d, oracle %d", route, n, oracle[route]))
		}
	}
	sort.Strings(more)
	return strings.Join(more, "; ")
}

// TestDiffComparator: the comparator reports every difference the differential tests rely on, and
// none of those they do not care about.
func TestDiffComparator(t *testing.T) {
	base := outcome{
		Status: 200,
		Data:   json.RawMessage(`{"a":{"b":[1,2,{"c":"x"}]},"d":null}`),
		Errors: []gqlError{
			{Message: "one", Path: []any{"d"}, Extensions: map[string]any{"code": "UPSTREAM_ERROR"}},
			{Message: "two", Path: []any{"a", "b", float64(1)}, Extensions: map[string]any{"code": "FORBIDDEN"}},
		},
	}
	with := func(f func(*outcome)) outcome {
		o := base
		o.Errors = append([]gqlError(nil), base.Errors...)
		f(&o)
		return o
	}
	tests := []struct {
		name     string
		engine   outcome
		mode     compareMode
		wantDiff string // a part of the report; "" for no difference
	}{
		{name: "same", engine: base},
		{name: "keys in another order", engine: with(func(o *outcome) { o.Data = json.RawMessage(`{"d":null,"a":{"b":[1,2,{"c":"x"}]}}`) })},
		{name: "errors in another order, other messages", engine: with(func(o *outcome) {
			o.Errors[0], o.Errors[1] = o.Errors[1], o.Errors[0]
			o.Errors[0].Message = "something else"
		})},
		{name: "a leaf differs", engine: with(func(o *outcome) { o.Data = json.RawMessage(`{"a":{"b":[1,2,{"c":"y"}]},"d":null}`) }), wantDiff: "data.a.b.2.c"},
		{name: "1 is not 1.0", engine: with(func(o *outcome) { o.Data = json.RawMessage(`{"a":{"b":[1.0,2,{"c":"x"}]},"d":null}`) }), wantDiff: "data.a.b.0"},
		{name: "null instead of an object", engine: with(func(o *outcome) { o.Data = json.RawMessage(`{"a":null,"d":null}`) }), wantDiff: "data.a"},
		{name: "a list is shorter", engine: with(func(o *outcome) { o.Data = json.RawMessage(`{"a":{"b":[1,2]},"d":null}`) }), wantDiff: "engine 2"},
		{name: "a key is missing", engine: with(func(o *outcome) { o.Data = json.RawMessage(`{"a":{"b":[1,2,{"c":"x"}]}}`) }), wantDiff: "data.d"},
		{name: "no data", engine: with(func(o *outcome) { o.Data = nil }), wantDiff: "data"},
		{name: "an error's code differs", engine: with(func(o *outcome) { o.Errors[0].Extensions = map[string]any{"code": "UPSTREAM_UNAVAILABLE"} }), wantDiff: "d UPSTREAM"},
		{name: "an error's path differs", engine: with(func(o *outcome) { o.Errors[1].Path = []any{"a", "b", float64(0)} }), wantDiff: "a.b.0 FORBIDDEN"},
		{name: "an error is missing", engine: with(func(o *outcome) { o.Errors = o.Errors[:1] }), wantDiff: "a.b.1 FORBIDDEN"},
		{name: "an error is repeated", engine: with(func(o *outcome) { o.Errors = append(o.Errors, o.Errors[0]) }), wantDiff: "d UPSTREAM_ERROR"},
		{name: "the status differs", engine: with(func(o *outcome) { o.Status = 400 }), wantDiff: "status"},
		{name: "by shape, other scalars agree", mode: shapeData, engine: with(func(o *outcome) { o.Data = json.RawMessage(`{"a":{"b":[7,8,{"c":"z"}]},"d":null}`) })},
		{name: "by shape, a kind differs", mode: shapeData, engine: with(func(o *outcome) { o.Data = json.RawMessage(`{"a":{"b":[7,8,{"c":1}]},"d":null}`) }), wantDiff: "data.a.b.2.c"},
		{name: "by shape, null differs", mode: shapeData, engine: with(func(o *outcome) { o.Data = json.RawMessage(`{"a":{"b":[7,8,{"c":"x"}]},"d":"x"}`) }), wantDiff: "data.d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compareOutcomes(base, tt.engine, tt.mode)
			switch {
			case tt.wantDiff == "" && got != "":
				t.Errorf("reported a difference where there is none:\n%s", got)
			case tt.wantDiff != "" && !strings.Contains(got, tt.wantDiff):
				t.Errorf("report %q does not mention %q", got, tt.wantDiff)
			}
		})
	}
	if got := moreCalls(map[string]int{"a": 1, "b": 2}, map[string]int{"a": 1, "b": 1}); got != "" {
		t.Errorf("fewer calls reported: %s", got)
	}
	if got := moreCalls(map[string]int{"a": 1}, map[string]int{"a": 2, "c": 1}); !strings.Contains(got, "a:") || !strings.Contains(got, "c:") {
		t.Errorf("more calls not reported: %q", got)
	}
}
