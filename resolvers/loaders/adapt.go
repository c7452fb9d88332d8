package loaders

import (
	"context"
	"slices"
)

// byKey adapts a look-up that returns the objects found (any order, missing ones absent) to a
// fetchFunc: result i is the object whose key is keys[i], or nil. The services answer in the order
// asked, every key found, most of the time: then no index is built.
func byKey[T any](fetch func(context.Context, []string) ([]T, error), key func(T) string) fetchFunc[*T] {
	return func(ctx context.Context, keys []string) ([]*T, error) {
		found, err := fetch(ctx, keys)
		if err != nil {
			return nil, err
		}
		out := make([]*T, len(keys))
		if len(found) == len(keys) {
			i := 0
			for i < len(keys) && key(found[i]) == keys[i] {
				out[i] = &found[i]
				i++
			}
			if i == len(keys) {
				return out, nil
			}
		}
		index := make(map[string]*T, len(found))
		for i := range found {
			index[key(found[i])] = &found[i]
		}
		for i, k := range keys {
			out[i] = index[k]
		}
		return out, nil
	}
}

// grouped adapts a look-up that returns a flat list of children to a fetchFunc: result i is the
// children whose parent key is keys[i], in the upstream's order, never nil. The groups share one
// backing array (each capped at its length, so appending to one cannot touch another): a handful of
// allocations per batch instead of a growing slice per parent.
func grouped[T any](fetch func(context.Context, []string) ([]T, error), parent func(T) string) fetchFunc[[]T] {
	return func(ctx context.Context, keys []string) ([]([]T), error) {
		found, err := fetch(ctx, keys)
		if err != nil {
			return nil, err
		}
		first := make(map[string]int, len(keys)) // key → index of its first occurrence in keys
		for i, k := range keys {
			if _, dup := first[k]; !dup {
				first[k] = i
			}
		}
		bounds := make([]int, len(keys)+1) // group i is all[bounds[i]:bounds[i+1]]
		for _, v := range found {
			if i, ok := first[parent(v)]; ok {
				bounds[i+1]++
			}
		}
		for i := range keys {
			bounds[i+1] += bounds[i]
		}
		all := make([]T, bounds[len(keys)])
		next := slices.Clone(bounds[:len(keys)]) // where each group's next child goes
		for _, v := range found {
			if i, ok := first[parent(v)]; ok {
				all[next[i]] = v
				next[i]++
			}
		}
		out := make([][]T, len(keys))
		for i, k := range keys {
			j := first[k]
			out[i] = all[bounds[j]:bounds[j+1]:bounds[j+1]]
		}
		return out, nil
	}
}

// mapped adapts a look-up that returns children keyed by parent to a fetchFunc.
func mapped[T any](fetch func(context.Context, []string) (map[string][]T, error)) fetchFunc[[]T] {
	return func(ctx context.Context, keys []string) ([][]T, error) {
		found, err := fetch(ctx, keys)
		if err != nil {
			return nil, err
		}
		out := make([][]T, len(keys))
		for i, k := range keys {
			out[i] = nonNil(found[k])
		}
		return out, nil
	}
}

// nonNil returns s, or an empty slice for nil, so that "no children" is an empty list, not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
