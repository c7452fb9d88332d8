package cost

import (
	"encoding/json"
	"strconv"
)

// Report is extensions.cost: the cost of one operation as its response reports it. It writes its own
// JSON (AppendJSON, which the gateway's response writer calls; MarshalJSON for anything else), the
// members in the order json.Marshal gives a map's keys, as the responses always had them.
type Report struct {
	// Actual is actualQueryCost: what the resolvers returned, 0 for a refused operation.
	Actual int
	// Fields is the per-field breakdown (fields), only when asked for.
	Fields []FieldCost
	// Requested is requestedQueryCost.
	Requested int
	// Throttle is throttleStatus, when budgets are enforced.
	Throttle *ThrottleStatus
}

// ThrottleStatus is the client's budget after the operation (extensions.cost.throttleStatus).
type ThrottleStatus struct {
	CurrentlyAvailable int
	MaximumAvailable   int
	RestoreRate        int
}

// ActualQueryCost returns r.Actual (package telemetry reads it for its analytics).
func (r *Report) ActualQueryCost() int { return r.Actual }

// AppendJSON appends r's JSON to b.
func (r *Report) AppendJSON(b []byte) []byte {
	b = append(b, `{"actualQueryCost":`...)
	b = strconv.AppendInt(b, int64(r.Actual), 10)
	if r.Fields != nil {
		b = append(b, `,"fields":`...)
		fields, err := json.Marshal(r.Fields) // only with the breakdown: rare
		if err != nil {
			fields = []byte("null") // FieldCost holds numbers and a path: never the case
		}
		b = append(b, fields...)
	}
	b = append(b, `,"requestedQueryCost":`...)
	b = strconv.AppendInt(b, int64(r.Requested), 10)
	if t := r.Throttle; t != nil {
		b = append(b, `,"throttleStatus":{"currentlyAvailable":`...)
		b = strconv.AppendInt(b, int64(t.CurrentlyAvailable), 10)
		b = append(b, `,"maximumAvailable":`...)
		b = strconv.AppendInt(b, int64(t.MaximumAvailable), 10)
		b = append(b, `,"restoreRate":`...)
		b = strconv.AppendInt(b, int64(t.RestoreRate), 10)
		b = append(b, '}')
	}
	return append(b, '}')
}

// MarshalJSON implements json.Marshaler with AppendJSON.
func (r *Report) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

var _ json.Marshaler = (*Report)(nil)
