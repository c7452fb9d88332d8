package telemetry

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

func TestCostOf(t *testing.T) {
	tests := []struct {
		name   string
		ext    map[string]any
		want   int64
		wantOK bool
	}{
		{"no extensions", nil, 0, false},
		{"no cost", map[string]any{"trace": []PlanCall{}}, 0, false},
		{"cost", map[string]any{"cost": map[string]any{"requestedQueryCost": 90, "actualQueryCost": 42}}, 42, true},
		{"int64 cost", map[string]any{"cost": map[string]any{"actualQueryCost": int64(7)}}, 7, true},
		{"wrong shape", map[string]any{"cost": "expensive"}, 0, false},
		{"negative", map[string]any{"cost": map[string]any{"actualQueryCost": -1}}, 0, false},
	}
	for _, tt := range tests {
		got, ok := costOf(&graphql.Response{Extensions: tt.ext})
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: costOf = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
