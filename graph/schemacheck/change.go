package schemacheck

import (
	"cmp"
	"fmt"
	"slices"
)

// Level is how a change affects existing clients.
type Level string

// The levels, from worst to harmless.
const (
	// Breaking changes can make a valid operation fail, or hand a client a value it cannot read.
	Breaking Level = "breaking"
	// Dangerous changes keep operations valid but may change what they do or receive.
	Dangerous Level = "dangerous"
	// Safe changes add to the schema or change only its documentation.
	Safe Level = "safe"
)

// rank orders levels worst first.
func (l Level) rank() int {
	switch l {
	case Breaking:
		return 0
	case Dangerous:
		return 1
	default:
		return 2
	}
}

// Change is one difference between two schemas.
type Change struct {
	// Kind names the change, as graphql-inspector's change types do (e.g. FIELD_REMOVED).
	Kind Kind `json:"kind"`
	// Level classifies the change for existing clients.
	Level Level `json:"level"`
	// Coordinate is the schema coordinate of the element changed: Type, Type.field, Type.field(arg:),
	// Enum.VALUE, @directive or @directive(arg:).
	Coordinate string `json:"coordinate"`
	// Message says what changed, in one sentence.
	Message string `json:"message"`
}

// String returns the change as one line: "breaking FIELD_REMOVED User.email: …".
func (c Change) String() string {
	return fmt.Sprintf("%-9s %s %s: %s", c.Level, c.Kind, c.Coordinate, c.Message)
}

// Report is the changes between two schemas, worst first, then by coordinate and kind.
type Report []Change

// Count returns how many changes are at level l.
func (r Report) Count(l Level) int {
	n := 0
	for _, c := range r {
		if c.Level == l {
			n++
		}
	}
	return n
}

// sortReport orders r worst first, then by coordinate and kind, so that output is stable.
func sortReport(r Report) {
	slices.SortStableFunc(r, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Level.rank(), b.Level.rank()), cmp.Compare(a.Coordinate, b.Coordinate),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Message, b.Message))
	})
}
