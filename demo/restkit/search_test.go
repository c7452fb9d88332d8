package restkit

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSearch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		query     string
		want      Search
		wantField string
	}{
		{name: "default limit", query: "q=tim", want: Search{Text: "tim", Limit: DefaultLimit}},
		{name: "limit", query: "q=Tim%20S&limit=3", want: Search{Text: "Tim S", Limit: 3}},
		{name: "longest text", query: "q=" + strings.Repeat("%C3%A9", MaxSearchChars), want: Search{Text: strings.Repeat("é", MaxSearchChars), Limit: DefaultLimit}},
		{name: "empty", query: "q=", wantField: "q"},
		{name: "too long", query: "q=" + strings.Repeat("x", MaxSearchChars+1), wantField: "q"},
		{name: "twice", query: "q=a&q=b", wantField: "q"},
		{name: "with keys", query: "q=a&id=1", wantField: "q"},
		{name: "with offset", query: "q=a&offset=1", wantField: "q"},
		{name: "limit zero", query: "q=a&limit=0", wantField: "limit"},
		{name: "limit too large", query: "q=a&limit=101", wantField: "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			got, apiErr := ParseSearch(q, "id")
			if tc.wantField != "" {
				if apiErr == nil || apiErr.Field != tc.wantField {
					t.Fatalf("ParseSearch(%q) = %+v, %v; want an error about %s", tc.query, got, apiErr, tc.wantField)
				}
				return
			}
			if apiErr != nil {
				t.Fatalf("ParseSearch(%q): %v", tc.query, apiErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSearch(%q) (-want +got):\n%s", tc.query, diff)
			}
		})
	}
}

func TestSearchMatches(t *testing.T) {
	s := Search{Text: "TiM"}
	for _, tc := range []struct {
		fields []string
		want   bool
	}{
		{[]string{"tim5", "Tim McCarthy"}, true},
		{[]string{"john1", "Timothy Lee"}, true},
		{[]string{"john1", "John Lovelace"}, false},
		{nil, false},
	} {
		if got := s.Matches(tc.fields...); got != tc.want {
			t.Errorf("Matches(%q) = %v, want %v", tc.fields, got, tc.want)
		}
	}
}
