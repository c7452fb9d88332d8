package boundedset

import (
	"fmt"
	"sync"
	"testing"
)

func TestSetIsBoundedFirstCome(t *testing.T) {
	made := 0
	s := New(2, "other", func(name string) string { made++; return "v-" + name })
	for _, tt := range []struct{ name, want string }{
		{"a", "v-a"}, {"b", "v-b"}, {"a", "v-a"}, {"c", "other"}, {"b", "v-b"},
	} {
		if got := s.Get(tt.name); got != tt.want {
			t.Errorf("Get(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if made != 2 || len(s.All()) != 2 {
		t.Errorf("made %d values, All has %d; want 2 and 2", made, len(s.All()))
	}
}

func TestSetConcurrent(t *testing.T) {
	s := New(10, -1, func(string) int { return 1 })
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() { s.Get(fmt.Sprint(i % 20)) })
	}
	wg.Wait()
	if got := len(s.All()); got != 10 {
		t.Fatalf("All has %d names, want 10", got)
	}
}
