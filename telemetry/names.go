package telemetry

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/internal/boundedset"
)

// Operation label values that are not operation names.
const (
	// OperationUnknown counts requests without a known operation: anonymous operations, and requests
	// refused before an operation was chosen (parse errors, bad bodies).
	OperationUnknown = "unknown"
	// OperationOther counts operations whose name came after the set of names was full, or is too long.
	OperationOther = "other"
)

// Outcomes of a request, the `outcome` label.
const (
	// OutcomeSuccess is a response without errors.
	OutcomeSuccess = "success"
	// OutcomePartial is a response with data and errors (a failed upstream nulled some fields).
	OutcomePartial = "partial"
	// OutcomeError is a response without data: refused, failed to parse or validate, or failed whole.
	OutcomeError = "error"
	// OutcomeCanceled is a request the client gave up on (closed the connection) before its answer was
	// written: neither the gateway's failure nor an upstream's.
	OutcomeCanceled = "canceled"
)

// outcomes lists the outcomes in the order of operation.adds and records; OutcomeError is the fallback.
var outcomes = [...]string{OutcomeSuccess, OutcomePartial, OutcomeCanceled, OutcomeError}

// maxNameLen bounds an operation name kept as a label value; longer names count as "other".
const maxNameLen = 100

// operation is one label value of the operation label, with what is kept per operation: the metric
// attributes per outcome, made once (as option slices, so that passing them allocates nothing), and
// the operation's analytics.
type operation struct {
	name    string
	adds    [len(outcomes)][]metric.AddOption
	records [len(outcomes)][]metric.RecordOption
	stats   *opStats
}

// names is the bounded set of operation names (first come, kept for the process's life), with the
// two values that are not names.
type names struct {
	samples int
	set     *boundedset.Set[string, *operation]

	unknown, other *operation
}

func newNames(max, samples int) *names {
	n := &names{samples: samples}
	n.unknown, n.other = n.newOperation(OperationUnknown), n.newOperation(OperationOther)
	n.set = boundedset.New(max, n.other, n.newOperation)
	return n
}

func (n *names) newOperation(name string) *operation {
	op := &operation{name: name, stats: newOpStats(n.samples)}
	for i, o := range outcomes {
		attrs := metric.WithAttributeSet(attribute.NewSet(
			attribute.String("operation", name), attribute.String("outcome", o)))
		op.adds[i], op.records[i] = []metric.AddOption{attrs}, []metric.RecordOption{attrs}
	}
	return op
}

// get returns the operation of name: its own while the set has room, else other; "" is unknown.
func (n *names) get(name string) *operation {
	switch {
	case name == "":
		return n.unknown
	case len(name) > maxNameLen, name == OperationUnknown, name == OperationOther:
		return n.other
	}
	return n.set.Get(name)
}

// all returns every operation with a request counted, unknown and other included.
func (n *names) all() []*operation {
	return append(n.set.All(), n.unknown, n.other)
}

// outcomeIndex returns the index in outcomes of o.
func outcomeIndex(o string) int {
	for i, v := range outcomes {
		if v == o {
			return i
		}
	}
	return len(outcomes) - 1
}
