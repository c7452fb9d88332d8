package restkit

import (
	"net/url"
	"testing"
)

// FuzzQueryParsing checks that Keys and ParsePage never panic and that their results keep their
// promises on any query string.
func FuzzQueryParsing(f *testing.F) {
	for _, s := range []string{"", "id=1&id=2&id=1", "id=", "id=..%2Fadmin&id=1%3Fx%3D2", "limit=5&offset=3",
		"limit=abc", "limit=1&limit=2", "offset=-1", "limit=%00", "id=%zz", "limit=+7", "offset=9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		keys, apiErr := Keys(q, "id", 5)
		if apiErr != nil {
			if apiErr.Field != "id" || apiErr.Code != CodeInvalidArgument {
				t.Fatalf("Keys error %+v", apiErr)
			}
		} else {
			seen := map[string]bool{}
			for _, k := range keys {
				if k == "" || seen[k] {
					t.Fatalf("Keys = %q: empty or duplicate", keys)
				}
				seen[k] = true
			}
			if len(keys) > 5 || keys == nil {
				t.Fatalf("Keys = %q: over the limit or nil", keys)
			}
		}
		p, apiErr := ParsePage(q)
		if apiErr != nil {
			if (apiErr.Field != "limit" && apiErr.Field != "offset") || len(apiErr.Message) > MaxEcho {
				t.Fatalf("ParsePage error %+v", apiErr)
			}
			return
		}
		if p.Limit < 1 || p.Limit > MaxLimit || p.Offset < 0 {
			t.Fatalf("ParsePage = %+v out of range", p)
		}
		if from, to := p.Window(37); from < 0 || to > 37 || from > to || to-from > p.Limit {
			t.Fatalf("%+v.Window(37) = %d, %d", p, from, to)
		}
	})
}
