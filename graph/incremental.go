package graph

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// incrementalRefusal refuses a document that uses @defer or @stream, before it is validated. gqlgen
// accepts them, but none of the gateway's transports delivers the later parts: a client would get
// nulls with no error, and the deferred fields would never run. They are refused until an
// incremental transport exists; the schema clients see (ServedSchema) does not declare them, and
// this says why rather than "Unknown directive".
func incrementalRefusal(doc *ast.QueryDocument) *gqlerror.Error {
	for _, op := range doc.Operations {
		if d := incrementalDirective(op.SelectionSet); d != nil {
			return refuseIncremental(d)
		}
	}
	for _, f := range doc.Fragments {
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
