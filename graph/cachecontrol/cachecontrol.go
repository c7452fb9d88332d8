// Package cachecontrol reads the schema's @cacheControl hints (Apollo's convention) once at start and
// answers two questions from them: how long, and for whom, the answer of a type or field may be
// cached (the entity cache's TTL and scope per kind), and what Cache-Control an operation's response
// may carry (a static walk of the operation's fields, the same for every execution of a document).
//
// A field's maxAge is its own hint's; else, when it returns an object (or interface, union), that
// type's hint; else the parent field's when the field or its type says inheritMaxAge, or when it
// returns a scalar or enum below the root. Root fields and other object fields without a hint have
// none, which makes a response uncacheable. A field is private when it or its type says PRIVATE, or
// when its answer depends on who asks (@authenticated, @requiresScopes, @owner on it or its type).
package cachecontrol

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Hint is one type's or field's @cacheControl.
type Hint struct {
	// MaxAge is the hint's maxAge; HasMaxAge says whether it sets one.
	MaxAge    time.Duration
	HasMaxAge bool
	// Private is scope: PRIVATE.
	Private bool
	// Inherit is inheritMaxAge: true.
	Inherit bool
}

// Hints are the schema's hints, by type name and by "Type.field". Read-only after Read: safe for
// concurrent use.
type Hints struct {
	schema *ast.Schema
	types  map[string]Hint
	fields map[string]Hint
	// callerDependent are the types and fields whose answer depends on the caller.
	callerDependent map[string]bool
}

// callerDirectives mark a type or field whose answer depends on who asks (graph/auth's directives).
var callerDirectives = []string{"authenticated", "requiresScopes", "owner"}

// Read collects every @cacheControl of schema, refusing a negative maxAge or an unknown scope.
func Read(schema *ast.Schema) (*Hints, error) {
	h := &Hints{schema: schema, types: map[string]Hint{}, fields: map[string]Hint{}, callerDependent: map[string]bool{}}
	for name, def := range schema.Types {
		if hint, ok, err := parse(def.Directives); err != nil {
			return nil, fmt.Errorf("cacheControl on %s: %w", name, err)
		} else if ok {
			h.types[name] = hint
		}
		h.callerDependent[name] = hasAny(def.Directives, callerDirectives)
		for _, f := range def.Fields {
			coord := name + "." + f.Name
			if hint, ok, err := parse(f.Directives); err != nil {
				return nil, fmt.Errorf("cacheControl on %s: %w", coord, err)
			} else if ok {
				h.fields[coord] = hint
			}
			if hasAny(f.Directives, callerDirectives) {
				h.callerDependent[coord] = true
			}
		}
	}
	return h, nil
}

func hasAny(dirs ast.DirectiveList, names []string) bool {
	for _, n := range names {
		if dirs.ForName(n) != nil {
			return true
		}
	}
	return false
}

// parse reads the @cacheControl in dirs, if any.
func parse(dirs ast.DirectiveList) (Hint, bool, error) {
	d := dirs.ForName("cacheControl")
	if d == nil {
		return Hint{}, false, nil
	}
	var h Hint
	for _, a := range d.Arguments {
		switch a.Name {
		case "maxAge":
			n, err := strconv.Atoi(a.Value.Raw)
			if err != nil || n < 0 {
				return Hint{}, false, fmt.Errorf("maxAge %q is not a number of seconds >= 0", a.Value.Raw)
			}
			h.MaxAge, h.HasMaxAge = time.Duration(n)*time.Second, true
		case "scope":
			switch a.Value.Raw {
			case "PRIVATE":
				h.Private = true
			case "PUBLIC":
			default:
				return Hint{}, false, fmt.Errorf("scope %q is not PUBLIC or PRIVATE", a.Value.Raw)
			}
		case "inheritMaxAge":
			h.Inherit = a.Value.Raw == "true"
		}
	}
	return h, true, nil
}

// Of returns what the schema says about caching the answer of coord: a type ("Product") or a field
// ("Product.reviews"). A field's maxAge is its own, else its type's; it is private when either is.
// ok is false when neither sets a maxAge.
func (h *Hints) Of(coord string) (maxAge time.Duration, private, ok bool) {
	if t, isType := h.types[coord]; isType {
		return t.MaxAge, t.Private, t.HasMaxAge
	}
	f := h.fields[coord]
	var t Hint
	if typ, field, found := strings.Cut(coord, "."); found {
		if def := h.schema.Types[typ]; def != nil {
			if fd := def.Fields.ForName(field); fd != nil {
				t = h.types[fd.Type.Name()]
			}
		}
	}
	switch {
	case f.HasMaxAge:
		return f.MaxAge, f.Private || t.Private, true
	case t.HasMaxAge:
		return t.MaxAge, f.Private || t.Private, true
	}
	return 0, f.Private || t.Private, false
}
