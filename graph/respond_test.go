package graph

import (
	"encoding/json"
	"mime"
	"strconv"
	"testing"
)

// TestAppendExtensionsIsJSONMarshal: the extensions' encoder writes what json.Marshal writes, for the
// values it encodes itself and for those it hands on.
func TestAppendExtensionsIsJSONMarshal(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    map[string]any
	}{
		{"cost", map[string]any{"cost": map[string]any{"requestedQueryCost": 12, "actualQueryCost": 7}}},
		{"throttle", map[string]any{"cost": map[string]any{"requestedQueryCost": 1, "actualQueryCost": 1,
			"throttleStatus": map[string]any{"maximumAvailable": 1000, "currentlyAvailable": 999, "restoreRate": 50}}}},
		{"scalars", map[string]any{"b": true, "f": false, "n": nil, "i64": int64(-1 << 62), "neg": -3, "float": 1.5e-7,
			"big": 1e21, "s": "<tag> & \"q\" \u2028 \xff", "u": uint8(7)}},
		{"nil map", map[string]any{"m": map[string]any(nil), "e": map[string]any{}}},
		{"keys to escape", map[string]any{"a<b": 1, "plain": 2}},
		{"nested key to escape", map[string]any{"x": map[string]any{"é": 1, "q\"": 2}}},
		{"unicode key", map[string]any{"ключ": 1}},
		{"other values", map[string]any{"raw": json.RawMessage(`{"a": 1}`), "list": []any{1, "x", nil},
			"strs": []string{"a"}, "struct": struct {
				A int `json:"a"`
			}{3}}},
		{"appender", map[string]any{"cost": selfEncoded{7}, "n": 1}},
		{"many keys", map[string]any{"k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, "k7": 7, "k8": 8, "k9": 9, "k10": 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendExtensions([]byte("x"), tc.m); string(got) != "x"+string(want) {
				t.Errorf("got  %s\nwant x%s", got, want)
			}
		})
	}
}

// selfEncoded is a JSONAppender, as graph/cost's Report.
type selfEncoded struct{ n int }

func (s selfEncoded) AppendJSON(b []byte) []byte {
	return append(strconv.AppendInt(append(b, `{"n":`...), int64(s.n), 10), '}')
}

func (s selfEncoded) MarshalJSON() ([]byte, error) { return s.AppendJSON(nil), nil }

func BenchmarkAppendExtensions(b *testing.B) {
	m := map[string]any{"cost": map[string]any{"requestedQueryCost": 12, "actualQueryCost": 7}}
	b.Run("appendExtensions", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf = appendExtensions(buf[:0], m)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf = appendJSON(buf[:0], m)
		}
	})
}

// The values negotiate and mediaType answer without parsing get what parsing gives them.
func TestMediaFastPathsAgreeWithParsing(t *testing.T) {
	for _, accept := range []string{"", "*/*", mediaJSON, mediaGraphQLResponse,
		mediaGraphQLResponse + ", " + mediaJSON, mediaGraphQLResponse + ", " + mediaJSON + ";q=0.9"} {
		if got, want := negotiate(accept), parseAccept(accept); got != want {
			t.Errorf("negotiate(%q) = %q, parsing gives %q", accept, got, want)
		}
	}
	got, err := mediaType(mediaJSON)
	want, _, werr := mime.ParseMediaType(mediaJSON)
	if got != want || err != nil || werr != nil {
		t.Errorf("mediaType(%q) = %q, %v; parsing gives %q, %v", mediaJSON, got, err, want, werr)
	}
}
