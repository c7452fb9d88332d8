package ratelimit

import (
	"context"
	"fmt"
	"testing"
)

// TestCountSets: count's attribute sets are made once per (plan, kind, client) and kept up to
// maxCountSets; beyond that they are still made, just not kept.
func TestCountSets(t *testing.T) {
	l, err := New(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := l.countSet(countKey{plan: "default", kind: "apikey", client: "web"})
	if b := l.countSet(countKey{plan: "default", kind: "apikey", client: "web"}); a != b {
		t.Fatal("the same key made a second set")
	}
	if c := l.countSet(countKey{plan: "default", kind: "apikey", client: "ios"}); c == a {
		t.Fatal("two clients share a set")
	}
	for i := range maxCountSets + 10 {
		l.countSet(countKey{plan: "p", kind: "apikey", client: fmt.Sprint(i)})
	}
	n := 0
	l.countSets.Range(func(any, any) bool { n++; return true })
	if n != maxCountSets || int(l.countLen.Load()) != maxCountSets {
		t.Fatalf("%d sets kept (counted %d), want %d", n, l.countLen.Load(), maxCountSets)
	}
	if s := l.countSet(countKey{plan: "p", kind: "apikey", client: "beyond"}); s == nil || s.points == nil || s.ran == nil {
		t.Fatal("no set beyond the bound")
	}
}

// Counting an operation allocates nothing once its client's attribute sets are made.
func TestCountAllocatesNothing(t *testing.T) {
	l, err := New(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := Client{Key: "key:web", Kind: "apikey", ClientID: "web", PlanName: "default"}
	ctx := context.Background()
	l.count(ctx, c, 3)
	if n := testing.AllocsPerRun(100, func() { l.count(ctx, c, 3) }); n != 0 {
		t.Errorf("count allocates %v times, want 0", n)
	}
}
