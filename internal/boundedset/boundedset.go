// Package boundedset keeps a bounded set of names taken from requests (operation names, client
// names), each with a value made once: the first names seen are kept for the process's life, later
// ones share one overflow value. It bounds what the names can cost (metric series, counters) whatever
// clients send. An LRU would not bound anything: an exporter keeps every series it has seen, evicted
// names included.
package boundedset

import "sync"

// Set is a bounded, first-come set of names and their values. It is safe for concurrent use.
type Set[T any] struct {
	max      int
	newValue func(name string) T

	mu     sync.RWMutex // guards byName
	byName map[string]T

	other T
}

// New returns a set of at most max names (0: none), whose values newValue makes once per name; names
// beyond max get other.
func New[T any](max int, other T, newValue func(name string) T) *Set[T] {
	return &Set[T]{max: max, newValue: newValue, byName: make(map[string]T, min(max, 1024)), other: other}
}

// Get returns name's value while the set has room for it, else the overflow value. A hit takes a
// read lock only.
func (s *Set[T]) Get(name string) T {
	s.mu.RLock()
	v, ok := s.byName[name]
	s.mu.RUnlock()
	if ok {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.byName[name]; ok {
		return v
	}
	if len(s.byName) >= s.max {
		return s.other
	}
	v = s.newValue(name)
	s.byName[name] = v
	return v
}

// All returns the values of the names kept, in no order, without the overflow value.
func (s *Set[T]) All() []T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]T, 0, len(s.byName))
	for _, v := range s.byName {
		out = append(out, v)
	}
	return out
}
