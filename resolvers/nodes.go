package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/trellisgw/trellis/graph/model"
	"github.com/trellisgw/trellis/resolvers/loaders"
)

// maxNodes is the most ids Query.nodes takes.
const maxNodes = 100

// lookUpNodes returns the objects with the global ids ids, in order: one look-up per type among them
// (merged with the level's other look-ups of that kind), nil for an id that is unknown or not a global
// id. A nil entry is an untyped nil, never a typed nil pointer, so that it writes as null.
//
// A failed look-up fails only the ids it was for: their entries are nil, and the error is a
// graphql.BatchErrorList as long as ids holding each one's error (nil for the others), which the
// engine (and, for gqlgen's executor, engine.ElementErrors) reports at each element's path.
func (r *Resolver) lookUpNodes(ctx context.Context, ids []string) ([]model.Node, error) {
	type at struct {
		typ string
		idx int // index in its type's keys
	}
	var keys loaders.NodeKeys
	where := make([]at, len(ids))
	for i, id := range ids {
		typ, key, ok := parseGlobalID(id)
		if !ok {
			continue
		}
		var list *[]string
		switch typ {
		case typeUser:
			list = &keys.Users
		case typeProduct:
			list = &keys.Products
		case typeReview:
			list = &keys.Reviews
		case typeOrder:
			list = &keys.Orders
		}
		where[i] = at{typ: typ, idx: len(*list)}
		*list = append(*list, key)
	}
	vals := r.Loaders.Nodes(ctx, keys)
	out := make([]model.Node, len(ids))
	var errs graphql.BatchErrorList
	fail := func(i int, kindErrs []error, idx int) {
		if kindErrs == nil || kindErrs[idx] == nil {
			return
		}
		if errs == nil {
			errs = make(graphql.BatchErrorList, len(ids))
		}
		errs[i] = kindErrs[idx]
	}
	for i, w := range where {
		// out[i] is set only for an object found: a nil pointer in the interface would write as an object.
		switch w.typ {
		case typeUser:
			if v := vals.Users[w.idx]; v != nil {
				out[i] = v
			}
			fail(i, vals.Errs.Users, w.idx)
		case typeProduct:
			if v := vals.Products[w.idx]; v != nil {
				out[i] = v
			}
			fail(i, vals.Errs.Products, w.idx)
		case typeReview:
			if v := vals.Reviews[w.idx]; v != nil {
				out[i] = v
			}
			fail(i, vals.Errs.Reviews, w.idx)
		case typeOrder:
			if v := vals.Orders[w.idx]; v != nil {
				out[i] = v
			}
			fail(i, vals.Errs.Orders, w.idx)
		}
	}
	if errs != nil {
		return out, errs
	}
	return out, nil
}
