package calltrace

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestRecordWithoutRecorderIsANoOp(t *testing.T) {
	Record(context.Background(), Call{Upstream: "accounts"}) // must not panic
	if FromContext(context.Background()) != nil {
		t.Fatal("FromContext of a bare context: want nil")
	}
}

func TestRecorderKeepsEveryCallConcurrently(t *testing.T) {
	r := NewRecorder(time.Unix(0, 0))
	ctx := NewContext(context.Background(), r)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Record(WithBatchSize(ctx, i), Call{Upstream: "products", BatchSize: BatchSize(WithBatchSize(ctx, i))})
		}()
	}
	wg.Wait()
	if got := r.Len(); got != 50 {
		t.Fatalf("Len = %d, want 50", got)
	}
	sum := 0
	for _, c := range r.Calls() {
		sum += c.BatchSize
	}
	if sum != 49*50/2 {
		t.Fatalf("sum of batch sizes = %d, want %d", sum, 49*50/2)
	}
	if BatchSize(ctx) != 0 {
		t.Fatal("BatchSize without WithBatchSize: want 0")
	}
}

func TestCacheHitsAreNotCalls(t *testing.T) {
	r := NewRecorder(time.Unix(0, 0))
	r.Add(Call{Upstream: "accounts", BatchSize: 3})
	r.Add(Call{Upstream: "accounts", BatchSize: 4, CacheHit: true})
	r.Add(Call{Upstream: "products", BatchSize: 2, CacheHit: true})
	if got := r.Len(); got != 1 {
		t.Errorf("Len = %d, want 1 (cache hits reach no instance)", got)
	}
	if got := r.CacheKeys(); got != 6 {
		t.Errorf("CacheKeys = %d, want 6", got)
	}
}
