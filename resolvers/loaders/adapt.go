package loaders

import "context"

// byKey adapts a look-up that returns the objects found (any order, missing ones absent) to a
// fetchFunc: result i is the object whose key is keys[i], or nil.
func byKey[T any](fetch func(context.Context, []string) ([]T, error), key func(T) string) fetchFunc[*T] {
	return func(ctx context.Context, keys []string) ([]*T, error) {
		found, err := fetch(ctx, keys)
		if err != nil {
			return nil, err
		}
		index := make(map[string]*T, len(found))
		for i := range found {
			index[key(found[i])] = &found[i]
		}
		out := make([]*T, len(keys))
		for i, k := range keys {
			out[i] = index[k]
		}
		return out, nil
	}
}

// grouped adapts a look-up that returns a flat list of children to a fetchFunc: result i is the
// children whose parent key is keys[i], in the upstream's order, never nil.
func grouped[T any](fetch func(context.Context, []string) ([]T, error), parent func(T) string) fetchFunc[[]T] {
	return func(ctx context.Context, keys []string) ([]([]T), error) {
		found, err := fetch(ctx, keys)
		if err != nil {
			return nil, err
		}
		groups := make(map[string][]T, len(keys))
		for _, v := range found {
			k := parent(v)
			groups[k] = append(groups[k], v)
		}
		out := make([][]T, len(keys))
		for i, k := range keys {
			out[i] = nonNil(groups[k])
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
