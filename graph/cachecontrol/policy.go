package cachecontrol

import (
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Policy is what the hints allow for one operation's response.
type Policy struct {
	// Cacheable is true when every field the operation may resolve has a maxAge.
	Cacheable bool
	// MaxAge is the smallest maxAge of those fields.
	MaxAge time.Duration
	// Private is true when a field is private by its hint.
	Private bool
	// CallerDependent is true when a field's answer depends on who asks (authorization directives).
	CallerDependent bool
}

// Header returns the Cache-Control value of a successful response under p: "no-store" when it is not
// cacheable (or its maxAge is 0), "private, max-age=N" when a field is private or, for a signed-in
// caller, depends on who they are, else "public, max-age=N".
func (p Policy) Header(signedIn bool) string {
	secs := int64(p.MaxAge / time.Second)
	switch {
	case !p.Cacheable || secs <= 0:
		return "no-store"
	case p.Private || (signedIn && p.CallerDependent):
		return "private, max-age=" + strconv.FormatInt(secs, 10)
	}
	return "public, max-age=" + strconv.FormatInt(secs, 10)
}

// Operation walks op's selections (of a validated document, fragments included whatever their type
// condition) and returns its policy. Mutations and subscriptions are never cacheable. defaultMaxAge is
// the maxAge of fields that have none (0: such a field makes the response uncacheable).
func (h *Hints) Operation(op *ast.OperationDefinition, defaultMaxAge time.Duration) Policy {
	if op == nil || op.Operation != ast.Query {
		return Policy{}
	}
	w := walker{h: h, def: defaultMaxAge, p: Policy{Cacheable: true, MaxAge: -1}}
	w.walk(op.SelectionSet, age{}, true)
	if w.p.MaxAge < 0 { // only __typename: nothing bounds it
		w.p.MaxAge = defaultMaxAge
		w.p.Cacheable = defaultMaxAge > 0
	}
	return w.p
}

// age is a field's maxAge, or none.
type age struct {
	d   time.Duration
	set bool
}

type walker struct {
	h   *Hints
	def time.Duration
	p   Policy
}

func (w *walker) walk(set ast.SelectionSet, parent age, root bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			w.field(s, parent, root)
		case *ast.InlineFragment:
			w.walk(s.SelectionSet, parent, root)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				w.walk(s.Definition.SelectionSet, parent, root)
			}
		}
	}
}

func (w *walker) field(f *ast.Field, parent age, root bool) {
	if f.Name == "__typename" {
		return
	}
	if f.Definition == nil || f.ObjectDefinition == nil { // not validated against the schema
		w.bound(age{})
		return
	}
	parentType, returned := f.ObjectDefinition.Name, f.Definition.Type.Name()
	coord := parentType + "." + f.Name
	fh, th := w.h.fields[coord], w.h.types[returned]
	def := w.h.schema.Types[returned]
	composite := def != nil && (def.Kind == ast.Object || def.Kind == ast.Interface || def.Kind == ast.Union)
	if fh.Private || th.Private {
		w.p.Private = true
	}
	if w.h.callerDependent[coord] || w.h.callerDependent[parentType] || w.h.callerDependent[returned] {
		w.p.CallerDependent = true
	}
	var a age
	switch {
	case fh.HasMaxAge:
		a = age{fh.MaxAge, true}
	case composite && th.HasMaxAge:
		a = age{th.MaxAge, true}
	case fh.Inherit || (composite && th.Inherit) || (!composite && !root):
		a = parent
	}
	w.bound(a)
	if composite {
		w.walk(f.SelectionSet, a, false)
	}
}

// bound lowers the policy's maxAge to a (or the default when a is none).
func (w *walker) bound(a age) {
	if !a.set {
		if w.def <= 0 {
			w.p.Cacheable = false
			w.p.MaxAge = 0
			return
		}
		a = age{w.def, true}
	}
	if w.p.MaxAge < 0 || a.d < w.p.MaxAge {
		w.p.MaxAge = a.d
	}
}
