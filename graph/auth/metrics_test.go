package auth

import (
	"context"
	"testing"
)

// Counting a decision allocates nothing once its attribute set is made.
func TestDecisionAllocatesNothing(t *testing.T) {
	in := newInstruments()
	ctx := context.Background()
	in.decision(ctx, outcomeAnonymous, "anonymous", "")
	if n := testing.AllocsPerRun(100, func() { in.decision(ctx, outcomeAnonymous, "anonymous", "") }); n != 0 {
		t.Errorf("decision allocates %v times, want 0", n)
	}
}
