package cost

import (
	"encoding/json"
	"testing"
)

// A Report encodes as the map extensions.cost was before it: json.Marshal's bytes, keys sorted.
func TestReportIsJSONOfTheMap(t *testing.T) {
	fields := []FieldCost{{Path: "users.nodes", Count: 10, Size: 10, Own: 10.5, Total: 30}}
	for _, tc := range []struct {
		name   string
		report Report
		old    map[string]any
	}{
		{"plain", Report{Requested: 12, Actual: 7}, map[string]any{"requestedQueryCost": 12, "actualQueryCost": 7}},
		{"throttle", Report{Requested: 1, Actual: 0, Throttle: &ThrottleStatus{MaximumAvailable: 1000, CurrentlyAvailable: 999, RestoreRate: 50}},
			map[string]any{"requestedQueryCost": 1, "actualQueryCost": 0,
				"throttleStatus": map[string]any{"maximumAvailable": 1000, "currentlyAvailable": 999, "restoreRate": 50}}},
		{"breakdown", Report{Requested: 30, Actual: 30, Fields: fields},
			map[string]any{"requestedQueryCost": 30, "actualQueryCost": 30, "fields": fields}},
		{"empty breakdown", Report{Requested: 0, Actual: 0, Fields: []FieldCost{}},
			map[string]any{"requestedQueryCost": 0, "actualQueryCost": 0, "fields": []FieldCost{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.old)
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.report.AppendJSON(nil); string(got) != string(want) {
				t.Errorf("AppendJSON\n got %s\nwant %s", got, want)
			}
			if got, err := json.Marshal(&tc.report); err != nil || string(got) != string(want) {
				t.Errorf("json.Marshal\n got %s (%v)\nwant %s", got, err, want)
			}
		})
	}
}
