package usage

import (
	"context"
	"sync"
	"time"
)

// Row is the use of one coordinate by one client version and operation: a count over some periods
// and when it was last seen.
type Row struct {
	Coordinate string
	Client     string
	Version    string
	Operation  string
	Count      int64
	Last       time.Time
}

// rowKey identifies a Row within a coordinate.
type rowKey struct{ client, version, operation string }

// Store keeps counts per period. Add and Query may be called concurrently.
type Store interface {
	// Add adds rows to the period starting at period.
	Add(ctx context.Context, period time.Time, rows []Row) error
	// Query returns, per coordinate asked, its rows summed over the periods starting in [from, to]
	// (Count added, Last the latest).
	Query(ctx context.Context, coordinates []string, from, to time.Time) (map[string][]Row, error)
	// Close releases the store.
	Close() error
}

// memoryStore is the per-process Store: periods older than retention are dropped as new ones come.
type memoryStore struct {
	retention time.Duration

	mu      sync.Mutex // guards periods
	periods map[time.Time]map[string]map[rowKey]*Row
}

func newMemoryStore(retention time.Duration) *memoryStore {
	return &memoryStore{retention: retention, periods: map[time.Time]map[string]map[rowKey]*Row{}}
}

func (s *memoryStore) Add(_ context.Context, period time.Time, rows []Row) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.periods {
		if period.Sub(p) > s.retention {
			delete(s.periods, p)
		}
	}
	byCoord := s.periods[period]
	if byCoord == nil {
		byCoord = map[string]map[rowKey]*Row{}
		s.periods[period] = byCoord
	}
	for _, r := range rows {
		m := byCoord[r.Coordinate]
		if m == nil {
			m = map[rowKey]*Row{}
			byCoord[r.Coordinate] = m
		}
		k := rowKey{r.Client, r.Version, r.Operation}
		if have := m[k]; have != nil {
			have.Count += r.Count
			if r.Last.After(have.Last) {
				have.Last = r.Last
			}
		} else {
			c := r
			m[k] = &c
		}
	}
	return nil
}

func (s *memoryStore) Query(_ context.Context, coordinates []string, from, to time.Time) (map[string][]Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]Row, len(coordinates))
	for _, c := range coordinates {
		sum := map[rowKey]Row{}
		for p, byCoord := range s.periods {
			if p.Before(from) || p.After(to) {
				continue
			}
			for k, r := range byCoord[c] {
				merge(sum, k, *r)
			}
		}
		out[c] = rows(sum)
	}
	return out, nil
}

func (s *memoryStore) Close() error { return nil }

// merge adds r into sum[k].
func merge(sum map[rowKey]Row, k rowKey, r Row) {
	have, ok := sum[k]
	if !ok {
		sum[k] = r
		return
	}
	have.Count += r.Count
	if r.Last.After(have.Last) {
		have.Last = r.Last
	}
	sum[k] = have
}

func rows(sum map[rowKey]Row) []Row {
	out := make([]Row, 0, len(sum))
	for _, r := range sum {
		out = append(out, r)
	}
	return out
}
