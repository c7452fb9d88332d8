package entitycache

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestParseCacheControl(t *testing.T) {
	tests := []struct {
		in   string
		want Freshness
	}{
		{"", Freshness{}},
		{"public, max-age=60", Freshness{MaxAge: time.Minute, HasMaxAge: true}},
		{"max-age=60, s-maxage=5", Freshness{MaxAge: 5 * time.Second, HasMaxAge: true, MustRevalidate: true}}, // shared caches take s-maxage
		{"S-MaxAge=\"7\", Max-Age=60", Freshness{MaxAge: 7 * time.Second, HasMaxAge: true, MustRevalidate: true}},
		{"private, max-age=60", Freshness{Private: true, MaxAge: time.Minute, HasMaxAge: true}},
		{"private=\"set-cookie\"", Freshness{Private: true}},
		{"no-store", Freshness{NoStore: true}},
		{"no-cache", Freshness{NoCache: true}},
		{"max-age=lots", Freshness{NoStore: true}},
		{"max-age=-1", Freshness{NoStore: true}},
		{"immutable, stale-while-revalidate=30", Freshness{StaleWhileRevalidate: 30 * time.Second, HasSWR: true}},
	}
	for _, tt := range tests {
		if got := ParseCacheControl(tt.in); got != tt.want {
			t.Errorf("ParseCacheControl(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseCacheControl(f *testing.F) {
	for _, s := range []string{"", "max-age=1", "no-store, private", "s-maxage=\"3\"", ",,=,", "max-age=99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fr := ParseCacheControl(s)
		if fr.MaxAge < 0 || (!fr.HasMaxAge && fr.MaxAge != 0) {
			t.Fatalf("%q: %+v", s, fr)
		}
	})
}

// TestUpstreamCacheControlWinsWhenStricter: what a fetch's answers say about caching bounds what is
// stored.
func TestUpstreamCacheControlWinsWhenStricter(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	t.Cleanup(func() { now = time.Now })
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	tests := []struct {
		name   string
		scope  Scope
		header string
		kept   time.Duration // how long the entry lives; 0: not stored
	}{
		{"no header", Public, "", time.Minute},
		{"longer max-age: the kind's TTL", Public, "max-age=3600", time.Minute},
		{"shorter max-age", Public, "max-age=10", 10 * time.Second},
		{"max-age=0", Public, "max-age=0", 0},
		{"no-store", Public, "no-store", 0},
		{"private answer, public kind", Public, "private, max-age=60", 0},
		{"private answer, private kind", Private, "private, max-age=30", 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller := func(context.Context) string { return "user:1" }
			k := newKind(t, Policy{TTL: time.Minute, Scope: tt.scope}, caller)
			calls := 0
			fetch := func(ctx context.Context, keys []string) (map[string]string, error) {
				calls++
				Answered(ctx, http.StatusOK, http.Header{"Cache-Control": {"max-age=3600"}}) // one answer of the fetch…
				Answered(ctx, http.StatusOK, http.Header{"Cache-Control": {tt.header}})      // …and another: the strictest applies
				return map[string]string{keys[0]: "v"}, nil
			}
			load := func() {
				if _, err := k.Load(context.Background(), []string{"a"}, fetch); err != nil {
					t.Fatal(err)
				}
			}
			load()
			load()
			if tt.kept == 0 {
				if calls != 2 {
					t.Fatalf("%d calls, want 2 (not stored)", calls)
				}
				return
			}
			advance(tt.kept - time.Second)
			load()
			if calls != 1 {
				t.Fatalf("within %s: %d calls, want 1", tt.kept, calls)
			}
			advance(time.Second)
			load()
			if calls != 2 {
				t.Fatalf("at %s: %d calls, want 2 (expired)", tt.kept, calls)
			}
		})
	}
	Answered(context.Background(), http.StatusOK, http.Header{"Cache-Control": {"no-store"}}) // outside a fetch: nothing to do
}
