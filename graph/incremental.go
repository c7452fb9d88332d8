package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// noIncrementalDelivery refuses documents that use @defer or @stream. gqlgen accepts them, but none of
// the gateway's transports delivers the later parts: a client would get nulls with no error, and the
// deferred fields would never run. They are refused until an incremental transport exists.
type noIncrementalDelivery struct{}

// Interface guards.
var (
	_ graphql.HandlerExtension        = noIncrementalDelivery{}
	_ graphql.OperationContextMutator = noIncrementalDelivery{}
)

// ExtensionName implements graphql.HandlerExtension.
func (noIncrementalDelivery) ExtensionName() string { return "TrellisNoIncrementalDelivery" }

// Validate implements graphql.HandlerExtension.
func (noIncrementalDelivery) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (noIncrementalDelivery) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Doc == nil {
		return nil
	}
	for _, op := range oc.Doc.Operations {
		if d := incrementalDirective(op.SelectionSet); d != nil {
			return refuseIncremental(d)
		}
	}
	for _, f := range oc.Doc.Fragments {
		if d := incrementalDirective(f.SelectionSet); d != nil {
			return refuseIncremental(d)
		}
	}
	return nil
}

func refuseIncremental(d *ast.Directive) *gqlerror.Error {
	e := errcode.New(errcode.ValidationFailed, "@"+d.Name+" is not supported by this gateway")
	if d.Position != nil {
		e.Locations = []gqlerror.Location{{Line: d.Position.Line, Column: d.Position.Column}}
	}
	return e
}

// incrementalDirective returns the first @defer or @stream in set, or nil.
func incrementalDirective(set ast.SelectionSet) *ast.Directive {
	for _, sel := range set {
		var dirs ast.DirectiveList
		var sub ast.SelectionSet
		switch s := sel.(type) {
		case *ast.Field:
			dirs, sub = s.Directives, s.SelectionSet
		case *ast.InlineFragment:
			dirs, sub = s.Directives, s.SelectionSet
		case *ast.FragmentSpread:
			dirs = s.Directives
		}
		for _, d := range dirs {
			if d.Name == "defer" || d.Name == "stream" {
				return d
			}
		}
		if d := incrementalDirective(sub); d != nil {
			return d
		}
	}
	return nil
}
