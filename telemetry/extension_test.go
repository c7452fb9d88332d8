package telemetry

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// report is a costReport, as graph/cost's Report.
type report int

func (r report) ActualQueryCost() int { return int(r) }

func TestCostOf(t *testing.T) {
	tests := []struct {
		name   string
		ext    map[string]any
		want   int64
		wantOK bool
	}{
		{"no extensions", nil, 0, false},
		{"no cost", map[string]any{"trace": []PlanCall{}}, 0, false},
		{"cost", map[string]any{"cost": report(42)}, 42, true},
		{"wrong shape", map[string]any{"cost": "expensive"}, 0, false},
		{"negative", map[string]any{"cost": report(-1)}, 0, false},
	}
	for _, tt := range tests {
		got, ok := costOf(&graphql.Response{Extensions: tt.ext})
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: costOf = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
