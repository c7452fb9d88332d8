// Package boundedset keeps a bounded set of names taken from requests (operation names, client
// names), each with a value made once: the first names seen are kept for the process's life, later
// ones share one overflow value. It bounds what the names can cost (metric series, counters) whatever
// clients send. An LRU would not bound anything: an exporter keeps every series it has seen, evicted
// names included.
package boundedset

import "sync"

// Set is a bounded, first-come set of names (of any comparable type: a struct of two strings is a
// key without building one string per look-up) and their values. It is safe for concurrent use.
type Set[K comparable, T any] struct {
	max      int
	newValue func(name K) T

	mu     sync.RWMutex // guards byName
	byName map[K]T

	other T
}

// New returns a set of at most max names (0: none), whose values newValue makes once per name; names
// beyond max get other.
func New[K comparable, T any](max int, other T, newValue func(name K) T) *Set[K, T] {
	return &Set[K, T]{max: max, newValue: newValue, byName: make(map[K]T, min(max, 1024)), other: other}
}

// Get returns name's value while the set has room for it, else the overflow value. A hit takes a
// read lock only.
func (s *Set[K, T]) Get(name K) T {
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
func (s *Set[K, T]) All() []T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]T, 0, len(s.byName))
	for _, v := range s.byName {
		out = append(out, v)
	}
	return out
}
