package graph

import (
	"context"
	"fmt"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/internal/opmemo"
)

// requestRules is the first operation-context mutator: it runs once the document is parsed and
// validated and before any other extension (cost, rate limits) or resolver, and refuses
//   - a mutation sent over GET (the transport answers 405),
//   - __schema and __type when introspection is off.
//
// The shape limits (server.limits) are checked earlier, before validation: see checkLimits.
type requestRules struct {
	introspection bool
	// introspectionAt keeps, per operation of a cached document, the position of its first __schema
	// or __type field (nil: none), so that the document is walked once. Used when introspection is off.
	introspectionAt *opmemo.Memo[*ast.Position]
}

// Interface guards.
var (
	_ graphql.HandlerExtension        = requestRules{}
	_ graphql.OperationContextMutator = requestRules{}
)

// ExtensionName implements graphql.HandlerExtension.
func (requestRules) ExtensionName() string { return "TrellisRequestRules" }

// Validate implements graphql.HandlerExtension.
func (requestRules) Validate(graphql.ExecutableSchema) error { return nil }

// opState is what the transport and requestRules tell each other about the operation running (in
// httpRequest.op).
type opState struct {
	getMutation bool // set by requestRules: the operation is a mutation sent over GET
	// query and doc hand the document the transport loaded from query to the executor's
	// CreateOperationContext (handedOver); doc is nil until then.
	query string
	doc   *ast.QueryDocument
	// params are the operation's parameters as the executor gets them (no allocation of their own).
	params graphql.RawParams
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (rr requestRules) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	if req := requestOf(ctx); req != nil && req.method == http.MethodGet && op.Operation != ast.Query {
		req.op.getMutation = true
		return atPosition(errcode.New(errcode.BadUserInput, "only queries may be sent with GET; send a "+string(op.Operation)+" with POST"), op.Position)
	}
	if rr.introspection {
		return nil
	}
	pos := rr.introspectionAt.Get(op, func() *ast.Position {
		w := walker{frags: oc.Doc.Fragments, memo: map[string]*shape{}}
		return w.selectionSet(op.SelectionSet).introspection
	})
	if pos != nil {
		return atPosition(errcode.New(errcode.ValidationFailed,
			"introspection is disabled on this gateway (server.introspection); __typename is still available"), pos)
	}
	return nil
}

// checkLimits refuses a parsed document over one of the Limits, before it is validated: the limits
// bound the work of validation too (every directive use counts, known or not, and every field at
// every spread of its fragment). Each operation is measured, and each fragment definition on its own
// (an unused one is validated as well). It walks the document once; each fragment is walked once
// however often it is spread, and its counts are added at every spread. A fragment cycle counts as
// empty (validation refuses it).
func checkLimits(doc *ast.QueryDocument, l Limits) *gqlerror.Error {
	w := walker{frags: doc.Fragments, memo: map[string]*shape{}}
	for _, op := range doc.Operations {
		s := w.selectionSet(op.SelectionSet)
		s.directives = addCapped(s.directives, len(op.Directives))
		for _, v := range op.VariableDefinitions {
			s.directives = addCapped(s.directives, len(v.Directives))
		}
		if err := l.check(s, true, op.Position); err != nil {
			return err
		}
	}
	for _, f := range doc.Fragments {
		if err := l.check(w.fragment(f.Name), false, f.Position); err != nil {
			return err
		}
	}
	return nil
}

// check refuses s over a limit (the root fields count for an operation only).
func (l Limits) check(s shape, operation bool, pos *ast.Position) *gqlerror.Error {
	for _, c := range []struct {
		key, what string
		got, max  int
	}{
		{"max_depth", "fields deep", s.depth, l.MaxDepth},
		{"max_aliases", "aliases", s.aliases, l.MaxAliases},
		{"max_root_fields", "root fields", s.fields, map[bool]int{true: l.MaxRootFields}[operation]},
		{"max_directives", "directives", s.directives, l.MaxDirectives},
		{"max_fields", "fields", s.selections, l.MaxFields},
	} {
		if c.max > 0 && c.got > c.max {
			e := errcode.New(errcode.ValidationFailed, fmt.Sprintf(
				"the operation has %s %s; at most %d are allowed (server.limits.%s)", countText(c.got), c.what, c.max, c.key))
			e.Extensions["limit"] = c.key
			return atPosition(e, pos)
		}
	}
	return nil
}

// countText prints n, or "more than a billion" for a capped count.
func countText(n int) string {
	if n >= countCap {
		return "more than a billion"
	}
	return fmt.Sprint(n)
}

func atPosition(e *gqlerror.Error, pos *ast.Position) *gqlerror.Error {
	if pos != nil {
		e.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	return e
}

// shape is what the limits measure of a selection set, fragments expanded.
type shape struct {
	depth      int // deepest field nesting below and including this level
	aliases    int // aliased fields
	directives int // directive uses
	fields     int // fields at this level (for the root: the root fields)
	selections int // fields at this level and below
	// introspection is the position of a __schema or __type field, or nil.
	introspection *ast.Position
}

// countCap bounds every count: spreads of spreads can multiply counts past any int.
const countCap = 1 << 30

func addCapped(a, b int) int {
	if a+b > countCap {
		return countCap
	}
	return a + b
}

// walker measures selection sets, memoizing fragments.
type walker struct {
	frags ast.FragmentDefinitionList
	memo  map[string]*shape // nil value: the fragment is being walked (a cycle)
}

func (w *walker) selectionSet(set ast.SelectionSet) shape {
	var s shape
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			sub := w.selectionSet(sel.SelectionSet)
			s.depth = max(s.depth, sub.depth+1)
			s.aliases = addCapped(s.aliases, sub.aliases)
			if sel.Alias != "" && sel.Alias != sel.Name {
				s.aliases = addCapped(s.aliases, 1)
			}
			s.directives = addCapped(s.directives, addCapped(sub.directives, len(sel.Directives)))
			s.fields = addCapped(s.fields, 1)
			s.selections = addCapped(s.selections, addCapped(sub.selections, 1))
			if s.introspection == nil {
				if sel.Name == "__schema" || sel.Name == "__type" {
					s.introspection = sel.Position
				} else {
					s.introspection = sub.introspection
				}
			}
		case *ast.InlineFragment:
			s.merge(w.selectionSet(sel.SelectionSet), len(sel.Directives))
		case *ast.FragmentSpread:
			s.merge(w.fragment(sel.Name), len(sel.Directives))
		}
	}
	return s
}

// merge adds the shape of a fragment at the same level, and the fragment's own directives.
func (s *shape) merge(f shape, directives int) {
	s.depth = max(s.depth, f.depth)
	s.aliases = addCapped(s.aliases, f.aliases)
	s.directives = addCapped(s.directives, addCapped(f.directives, directives))
	s.fields = addCapped(s.fields, f.fields)
	s.selections = addCapped(s.selections, f.selections)
	if s.introspection == nil {
		s.introspection = f.introspection
	}
}

func (w *walker) fragment(name string) shape {
	if s, seen := w.memo[name]; seen {
		if s == nil {
			return shape{} // a cycle: the validator refuses these before this runs
		}
		return *s
	}
	def := w.frags.ForName(name)
	if def == nil {
		return shape{}
	}
	w.memo[name] = nil
	s := w.selectionSet(def.SelectionSet)
	s.directives = addCapped(s.directives, len(def.Directives))
	w.memo[name] = &s
	return s
}
