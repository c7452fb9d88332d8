package resilience

import (
	"sync"
	"time"
)

// budgetWindow is how far back the retry budget looks; budgetBuckets slice it.
const (
	budgetWindow  = 10 * time.Second
	budgetBuckets = 10
)

// Budget allows retries up to ratio × the calls of the last 10 seconds plus minPerSecond × 10, like
// Finagle's and Linkerd's retry budgets. Safe for concurrent use.
type Budget struct {
	ratio, floor float64
	now          func() time.Time

	mu      sync.Mutex
	calls   [budgetBuckets]int64
	retries [budgetBuckets]int64
	epoch   [budgetBuckets]int64 // which bucket period each slot holds
}

// NewBudget returns a budget; now may be nil (time.Now).
func NewBudget(ratio, minPerSecond float64, now func() time.Time) *Budget {
	if now == nil {
		now = time.Now
	}
	return &Budget{ratio: ratio, floor: minPerSecond * budgetWindow.Seconds(), now: now}
}

// slot returns the index of the current bucket, clearing it when it held an older period.
// b.mu must be held.
func (b *Budget) slot() int {
	period := b.now().UnixNano() / int64(budgetWindow/budgetBuckets)
	i := int(period % budgetBuckets)
	if b.epoch[i] != period {
		b.epoch[i], b.calls[i], b.retries[i] = period, 0, 0
	}
	return i
}

// sums returns the calls and retries of the window. b.mu must be held.
func (b *Budget) sums() (calls, retries int64) {
	period := b.now().UnixNano() / int64(budgetWindow/budgetBuckets)
	for i := range budgetBuckets {
		if period-b.epoch[i] < budgetBuckets {
			calls += b.calls[i]
			retries += b.retries[i]
		}
	}
	return calls, retries
}

// Call records one call (its first attempt).
func (b *Budget) Call() {
	b.mu.Lock()
	b.calls[b.slot()]++
	b.mu.Unlock()
}

// Retry takes one retry from the budget, and reports false when none is left.
func (b *Budget) Retry() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := b.slot()
	calls, retries := b.sums()
	if float64(retries+1) > b.ratio*float64(calls)+b.floor {
		return false
	}
	b.retries[i]++
	return true
}
