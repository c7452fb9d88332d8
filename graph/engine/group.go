package engine

import (
	"encoding/json"
	"fmt"
)

// A level's calls are grouped so that each (type, field, arguments) is one call of its resolver,
// wherever the fields stand in the response (resolveLevel).

// group is the fields of one level that one resolver call serves: same field of the same type, same
// arguments, wherever they stand in the response.
type group struct {
	first   *fieldPlan
	fields  []*fieldPlan // a run of the level's calls
	parents []any
	res     *Results // the first field's
	// denied holds, per field of fields, Check.Parent's refusal per parent (nil: no field has a
	// Parent check; an entry is nil when its field has none).
	denied [][]error
	// args is the arguments' key (argKey), made only when another field of the level has the same
	// resolver; keyed says it was.
	args  string
	keyed bool
}

// group groups calls by (resolver, arguments) into the run's group slab, reordering calls so that
// each group's fields are contiguous, in the order of their first field. A level has a few dozen calls
// at most: a linear search costs less than a map, and arguments are compared (argKey) only between
// fields of the same resolver.
func (r *run) group(calls []*fieldPlan) []group {
	groups := r.groups[:0]
	of := r.groupOf[:0] // per call: its group
	for _, f := range calls {
		gi := -1
		for j := range groups {
			if groups[j].first.bind == f.bind && r.sameArgs(&groups[j], f) {
				gi = j
				break
			}
		}
		if gi < 0 {
			gi = len(groups)
			groups = append(groups, group{first: f, res: &r.results[f.slot]})
		}
		of = append(of, int32(gi))
	}
	// Stable insertion sort of calls by group: n is small, and nothing is allocated.
	for i := 1; i < len(calls); i++ {
		for j := i; j > 0 && of[j-1] > of[j]; j-- {
			of[j-1], of[j] = of[j], of[j-1]
			calls[j-1], calls[j] = calls[j], calls[j-1]
		}
	}
	for i := 0; i < len(calls); {
		j := i + 1
		for j < len(calls) && of[j] == of[i] {
			j++
		}
		groups[of[i]].fields = calls[i:j:j]
		i = j
	}
	r.groups, r.groupOf = groups, of
	return groups
}

// sameArgs reports whether f has the same arguments as the fields of g (of the same resolver).
func (r *run) sameArgs(g *group, f *fieldPlan) bool {
	if !g.keyed {
		g.args, g.keyed = r.argKey(g.first), true
	}
	return r.argKey(f) == g.args
}

// argKey identifies f's argument values, for grouping calls: "" without arguments.
func (r *run) argKey(f *fieldPlan) string {
	if len(r.argsOf(f)) == 0 {
		return ""
	}
	return argKey(f.field.ArgumentMap(r.oc.Variables))
}

// argKey identifies a field's argument values, for grouping calls.
func argKey(raw map[string]any) string {
	b, err := json.Marshal(raw) // sorts map keys
	if err != nil {
		return fmt.Sprint(raw)
	}
	return string(b)
}
