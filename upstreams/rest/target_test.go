package rest

import (
	"net/url"
	"testing"
)

// TestTarget checks that target builds the same URL as concatenating the parts with
// url.Values.Encode, in one allocation (two beyond four keys, which the clients never send).
func TestTarget(t *testing.T) {
	c := &Client{scheme: "http", prefix: "/api"}
	tests := []struct {
		name   string
		path   string
		query  url.Values
		allocs float64
	}{
		{"no query", "/users", nil, 1},
		{"empty query", "/users", url.Values{}, 1},
		{"batch", "/reviews", url.Values{"author_id": {"1", "2", "30"}}, 1},
		{"keys sorted", "/users", url.Values{"offset": {"10"}, "limit": {"5"}}, 1},
		{"five keys", "/x", url.Values{"e": {"5"}, "d": {"4"}, "c": {"3"}, "b": {"2"}, "a": {"1"}}, 2},
		{"escaped", Path("users", "../a b"), url.Values{"q": {"a b&c=d/é?+%~._-"}, "k y": {""}}, 1},
		{"key without values", "/users", url.Values{"a": nil, "b": {"1"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := "http://10.0.0.1:80/api" + tt.path
			if enc := tt.query.Encode(); enc != "" {
				want += "?" + enc
			}
			if got := c.target("10.0.0.1:80", tt.path, tt.query); got != want {
				t.Errorf("target = %q, want %q", got, want)
			}
			if n := testing.AllocsPerRun(50, func() { _ = c.target("10.0.0.1:80", tt.path, tt.query) }); n > tt.allocs {
				t.Errorf("target allocates %v times, want at most %v", n, tt.allocs)
			}
		})
	}
}

// FuzzTarget compares target with url.Values.Encode for any key and values.
func FuzzTarget(f *testing.F) {
	f.Add("id", "1", "a b&c")
	f.Add("q", "\x00\xff/?#", "")
	c := &Client{scheme: "https", prefix: ""}
	f.Fuzz(func(t *testing.T, k, v1, v2 string) {
		q := url.Values{k: {v1, v2}, k + "2": {v2}}
		want := "https://h:443/p?" + q.Encode()
		if got := c.target("h:443", "/p", q); got != want {
			t.Errorf("target = %q, want %q", got, want)
		}
	})
}
