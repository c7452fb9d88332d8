package cache

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestBackoff(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	b := NewBackoff(time.Second, clk.now)
	if !b.Usable() {
		t.Fatal("a store that never failed is not usable")
	}
	if !b.Failed() {
		t.Error("first failure: want wentDown")
	}
	if b.Failed() {
		t.Error("second failure: want no new outage")
	}
	if b.Usable() {
		t.Error("usable right after a failure")
	}
	clk.add(999 * time.Millisecond)
	if b.Usable() {
		t.Error("usable before the period passed")
	}
	clk.add(time.Millisecond)

	// One probe per period, however many callers ask at once.
	var probes atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if b.Usable() {
				probes.Add(1)
			}
		})
	}
	wg.Wait()
	if n := probes.Load(); n != 1 {
		t.Errorf("%d probes after the back-off, want 1", n)
	}
	if !b.Worked() {
		t.Error("the probe worked: want cameBack")
	}
	if b.Worked() {
		t.Error("worked again: want no new recovery")
	}
	for range 3 {
		if !b.Usable() {
			t.Error("not usable after it came back")
		}
	}
}

func TestNewBackoffDefaults(t *testing.T) {
	b := NewBackoff(0, nil)
	if b.period != DefaultBackoff || b.now == nil {
		t.Errorf("NewBackoff(0, nil) = period %s, now set %t", b.period, b.now != nil)
	}
}
