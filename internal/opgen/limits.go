package opgen

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// shape is what the gateway's limits measure of a selection set, fragments expanded: the same counts
// as graph's requestRules (graph/limits.go), which does not export them.
type shape struct {
	depth, aliases, directives, fields int
}

// checkLimits returns an error when doc's operation is over one of g's Limits.
func (g *Generator) checkLimits(doc *ast.QueryDocument) error {
	memo := map[string]shape{}
	var walk func(set ast.SelectionSet) shape
	walk = func(set ast.SelectionSet) shape {
		var s shape
		for _, sel := range set {
			var sub shape
			own := 0
			switch sel := sel.(type) {
			case *ast.Field:
				sub = walk(sel.SelectionSet)
				s.depth = max(s.depth, sub.depth+1)
				if sel.Alias != "" && sel.Alias != sel.Name {
					s.aliases++
				}
				s.fields++
				s.aliases += sub.aliases
				s.directives += sub.directives + len(sel.Directives)
				continue
			case *ast.InlineFragment:
				sub, own = walk(sel.SelectionSet), len(sel.Directives)
			case *ast.FragmentSpread:
				f, ok := memo[sel.Name]
				if !ok {
					if def := doc.Fragments.ForName(sel.Name); def != nil {
						f = walk(def.SelectionSet)
						f.directives += len(def.Directives)
					}
					memo[sel.Name] = f
				}
				sub, own = f, len(sel.Directives)
			}
			s.depth = max(s.depth, sub.depth)
			s.aliases += sub.aliases
			s.directives += sub.directives + own
			s.fields += sub.fields
		}
		return s
	}
	op := doc.Operations[0]
	s := walk(op.SelectionSet)
	s.directives += len(op.Directives)
	l := g.cfg.Limits
	switch {
	case s.depth > l.Depth:
		return fmt.Errorf("over max_depth: %d", s.depth)
	case s.aliases > l.Aliases:
		return fmt.Errorf("over max_aliases: %d", s.aliases)
	case s.fields > l.RootFields:
		return fmt.Errorf("over max_root_fields: %d", s.fields)
	case s.directives > l.Directives:
		return fmt.Errorf("over max_directives: %d", s.directives)
	}
	return nil
}
