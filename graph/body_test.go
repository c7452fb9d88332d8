package graph

import (
	"encoding/json"
	"testing"
)

// FuzzCheckParams: any body gets one of the fixed answers (nothing of the body is echoed), and a body
// that passes is a JSON object.
func FuzzCheckParams(f *testing.F) {
	for _, s := range []string{`{"query":"{ a }"}`, `[]`, `{"variables":{"a":1}}`, `{"query":5}`, ``, `nul`, `{"extensions":null}`} {
		f.Add([]byte(s))
	}
	fixed := map[string]bool{
		"": true, "batched requests (a JSON array) are not enabled": true, "the request body is not a JSON object": true,
		"the request body is not valid JSON": true, "query must be a string": true, "operationName must be a string": true,
		"variables must be an object": true, "extensions must be an object": true,
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg := checkParams(body)
		if !fixed[msg] {
			t.Fatalf("checkParams(%q) = %q, not one of the fixed answers", body, msg)
		}
		if msg == "" {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(body, &obj); err != nil {
				t.Fatalf("accepted %q, which is not a JSON object: %v", body, err)
			}
		}
	})
}
