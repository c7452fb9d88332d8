package loaders

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"
)

// byKey adapts a batch look-up that returns the found objects (in any order, missing ones absent) to a
// dataloader batch function: result i is the object whose key is keys[i], or nil when there is none.
func byKey[T any](fetch func(context.Context, []string) ([]T, error), key func(T) string) dataloader.BatchFunc[string, *T] {
	return func(ctx context.Context, keys []string) []*dataloader.Result[*T] {
		found, err := fetch(ctx, keys)
		out := make([]*dataloader.Result[*T], len(keys))
		if err != nil {
			return fill(out, err)
		}
		index := make(map[string]*T, len(found))
		for i := range found {
			index[key(found[i])] = &found[i]
		}
		for i, k := range keys {
			out[i] = &dataloader.Result[*T]{Data: index[k]}
		}
		return out
	}
}

// grouped adapts a batch look-up that returns a flat list of children to a dataloader batch function:
// result i is the children whose parent key is keys[i], in the upstream's order.
func grouped[T any](fetch func(context.Context, []string) ([]T, error), parent func(T) string) dataloader.BatchFunc[string, []T] {
	return func(ctx context.Context, keys []string) []*dataloader.Result[[]T] {
		found, err := fetch(ctx, keys)
		out := make([]*dataloader.Result[[]T], len(keys))
		if err != nil {
			return fill(out, err)
		}
		groups := make(map[string][]T, len(keys))
		for _, v := range found {
			k := parent(v)
			groups[k] = append(groups[k], v)
		}
		for i, k := range keys {
			out[i] = &dataloader.Result[[]T]{Data: nonNil(groups[k])}
		}
		return out
	}
}

// mapped adapts a batch look-up that returns children keyed by parent to a dataloader batch function.
func mapped[T any](fetch func(context.Context, []string) (map[string][]T, error)) dataloader.BatchFunc[string, []T] {
	return func(ctx context.Context, keys []string) []*dataloader.Result[[]T] {
		found, err := fetch(ctx, keys)
		out := make([]*dataloader.Result[[]T], len(keys))
		if err != nil {
			return fill(out, err)
		}
		for i, k := range keys {
			out[i] = &dataloader.Result[[]T]{Data: nonNil(found[k])}
		}
		return out
	}
}

func fill[V any](out []*dataloader.Result[V], err error) []*dataloader.Result[V] {
	for i := range out {
		out[i] = &dataloader.Result[V]{Error: err}
	}
	return out
}

// nonNil returns s, or an empty slice for nil, so that "no children" is an empty list, not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
