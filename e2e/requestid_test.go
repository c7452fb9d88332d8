package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/faults"
	"github.com/trellisgw/trellis/telemetry/requestid"
)

// TestOneRequestIDEverywhere: the X-Request-Id answered is the request_id of the access line and of
// the warning the error presenter logs for a failed upstream, each line has one request_id key, a
// well-formed client id (proxy style, with a colon) is kept and a malformed one replaced.
func TestOneRequestIDEverywhere(t *testing.T) {
	e := newEnv(t)
	if err := e.cluster.SetFault(demo.Inventory, -1, faults.Fault{Down: true}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, in string
		keep     bool
	}{
		{name: "no id"},
		{name: "valid id", in: "trace:abc", keep: true},
		{name: "invalid id", in: "a b;c"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.logs.String())
			hdr := map[string]string{}
			if tt.in != "" {
				hdr[requestid.Header] = tt.in
			}
			status, got, raw := e.post(t, `{ product(upc: "p1") { name inStock } }`, hdr)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, raw)
			}
			ids := got.Values(requestid.Header)
			if len(ids) != 1 || !requestid.Valid(ids[0]) || (ids[0] == tt.in) != tt.keep {
				t.Fatalf("X-Request-Id %q for %q (keep %t)", ids, tt.in, tt.keep)
			}
			id := ids[0]
			seen := map[string]bool{}
			for line := range strings.SplitSeq(strings.TrimSpace(e.logs.String()[before:]), "\n") {
				if n := strings.Count(line, `"request_id"`); n > 1 {
					t.Errorf("%d request_id keys in %s", n, line)
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("log line is not JSON: %q", line)
				}
				if m["request_id"] == id {
					seen[m["level"].(string)+" "+m["msg"].(string)] = true
				}
			}
			if !seen["INFO access"] || len(seen) < 2 {
				t.Errorf("lines with request_id %s: %v, want the access line and the upstream warning:\n%s", id, seen, e.logs.String()[before:])
			}
		})
	}
}
