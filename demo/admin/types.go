package admin

import "github.com/trellisgw/trellis/demo/faults"

// InstanceCalls is the call counts of one instance.
type InstanceCalls struct {
	// Instance is the instance's index within its service, from 0.
	Instance int `json:"instance"`
	// Addr is the instance's host:port.
	Addr string `json:"addr"`
	// Calls counts calls per route (HTTP pattern or gRPC full method name).
	Calls map[string]int `json:"calls"`
	// TraceIDs are the W3C trace ids of the calls served since the last reset, most recent last;
	// omitted when none carried a traceparent or the backend does not record them.
	TraceIDs []string `json:"traceIds,omitempty"`
}

// CallsReport is the answer of GET /admin/calls: service -> its instances in index order.
type CallsReport map[string][]InstanceCalls

// Total returns the calls of route summed over the instances of service.
func (r CallsReport) Total(service, route string) int {
	n := 0
	for _, in := range r[service] {
		n += in.Calls[route]
	}
	return n
}

// InstanceFault is the fault of one instance.
type InstanceFault struct {
	// Instance is the instance's index within its service, from 0.
	Instance int `json:"instance"`
	// Addr is the instance's host:port.
	Addr string `json:"addr"`
	// Fault is the instance's current fault.
	Fault faults.Fault `json:"fault"`
}

// FaultsReport is the answer of GET /admin/faults: service -> its instances in index order.
type FaultsReport map[string][]InstanceFault

// errorBody is the JSON form of an error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Error codes of the admin endpoint.
const (
	CodeNotFound         = "NOT_FOUND"
	CodeInvalidArgument  = "INVALID_ARGUMENT"
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	CodeInternal         = "INTERNAL"
)
