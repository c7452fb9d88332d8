package usage

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Answer is the JSON of GET /admin/schema/usage and GET /admin/schema/deprecations.
type Answer struct {
	// Window is how far back the counts go; From and To bound the periods counted.
	Window string    `json:"window"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// Coordinates are the coordinates asked (usage) or every deprecated one of the schema
	// (deprecations), in that order.
	Coordinates []CoordinateUsage `json:"coordinates"`
}

// CoordinateUsage is the use of one schema coordinate.
type CoordinateUsage struct {
	Coordinate string `json:"coordinate"`
	// Exists is false for a coordinate the gateway's schema does not have.
	Exists bool `json:"exists"`
	// Deprecated is set, with its reason, when the element is @deprecated.
	Deprecated        bool   `json:"deprecated"`
	DeprecationReason string `json:"deprecationReason,omitempty"`
	// Count is how many operations used it in the window; LastSeen when the latest did (null: never).
	Count    int64      `json:"count"`
	LastSeen *time.Time `json:"lastSeen"`
	// Clients are the uses per client application, version and operation, most first.
	Clients []ClientUsage `json:"clients"`
}

// ClientUsage is the use of a coordinate by one client version and operation.
type ClientUsage struct {
	Client    string    `json:"client"`
	Version   string    `json:"version"`
	Operation string    `json:"operation"`
	Count     int64     `json:"count"`
	LastSeen  time.Time `json:"lastSeen"`
}

// UsageHandler serves GET /admin/schema/usage?coordinate=User.email[&coordinate=…][&window=24h]: the
// use of each coordinate over the window (default: retention), with what is pending flushed first so
// that the answer includes this instance's latest operations. With store redis, the counts are every
// instance's.
func (u *Usage) UsageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		coords := r.URL.Query()["coordinate"]
		if len(coords) == 0 || len(coords) > 1000 {
			badRequest(w, "give 1 to 1000 coordinate parameters, e.g. ?coordinate=User.email")
			return
		}
		u.answer(w, r, coords)
	})
}

// DeprecationsHandler serves GET /admin/schema/deprecations[?window=24h]: every deprecated field,
// argument, input field and enum value of the schema, with who used it in the window and when last.
func (u *Usage) DeprecationsHandler() http.Handler {
	deprecated := deprecatedCoordinates(u.schema)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { u.answer(w, r, deprecated) })
}

func (u *Usage) answer(w http.ResponseWriter, r *http.Request, coords []string) {
	window := u.cfg.Retention
	if s := r.URL.Query().Get("window"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > u.cfg.Retention {
			badRequest(w, "window must be a duration between 1s and schema_usage.retention ("+u.cfg.Retention.String()+")")
			return
		}
		window = d
	}
	_ = u.Flush(r.Context()) // a failure is logged; the answer is then what the store has
	to := u.now().UTC().Truncate(u.cfg.Period)
	from := u.now().UTC().Add(-window).Truncate(u.cfg.Period)
	got, err := u.store.Query(r.Context(), coords, from, to)
	if err != nil {
		u.log.WarnContext(r.Context(), "usage: query failed", "error", err.Error())
		u.storeErrs.Add(r.Context(), 1, queryAttrs)
		writeError(w, http.StatusServiceUnavailable, "INTERNAL_SERVER_ERROR", "the usage store is unavailable")
		return
	}
	ans := Answer{Window: window.String(), From: from, To: to, Coordinates: make([]CoordinateUsage, 0, len(coords))}
	for _, c := range coords {
		cu := CoordinateUsage{Coordinate: c, Clients: []ClientUsage{}}
		cu.Exists, cu.Deprecated, cu.DeprecationReason = describe(u.schema, c)
		for _, row := range got[c] {
			cu.Count += row.Count
			if cu.LastSeen == nil || row.Last.After(*cu.LastSeen) {
				last := row.Last.UTC()
				cu.LastSeen = &last
			}
			cu.Clients = append(cu.Clients, ClientUsage{Client: row.Client, Version: row.Version, Operation: row.Operation, Count: row.Count, LastSeen: row.Last.UTC()})
		}
		slices.SortFunc(cu.Clients, func(a, b ClientUsage) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Client, b.Client), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Operation, b.Operation))
		})
		ans.Coordinates = append(ans.Coordinates, cu)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(ans)
}

func badRequest(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, "BAD_USER_INPUT", msg)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]string{"code": code}}}})
}

// describe reports whether coord names an element of schema, and its deprecation.
func describe(schema *ast.Schema, coord string) (exists, deprecated bool, reason string) {
	typ, member, _ := strings.Cut(coord, ".")
	def := schema.Types[typ]
	if def == nil {
		return false, false, ""
	}
	if member == "" {
		return true, false, ""
	}
	var dirs ast.DirectiveList
	field, arg, hasArg := strings.Cut(member, "(")
	switch {
	case def.Kind == ast.Enum:
		v := def.EnumValues.ForName(member)
		if v == nil {
			return false, false, ""
		}
		dirs = v.Directives
	default:
		f := def.Fields.ForName(field)
		if f == nil {
			return false, false, ""
		}
		dirs = f.Directives
		if hasArg {
			a := f.Arguments.ForName(strings.TrimSuffix(arg, ":)"))
			if a == nil {
				return false, false, ""
			}
			dirs = a.Directives
		}
	}
	if d := dirs.ForName("deprecated"); d != nil {
		reason = "No longer supported"
		if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
			reason = a.Value.Raw
		}
		return true, true, reason
	}
	return true, false, ""
}

// deprecatedCoordinates lists the schema's deprecated fields, arguments, input fields and enum values.
func deprecatedCoordinates(schema *ast.Schema) []string {
	var out []string
	for name, def := range schema.Types {
		if def.BuiltIn {
			continue
		}
		for _, v := range def.EnumValues {
			if v.Directives.ForName("deprecated") != nil {
				out = append(out, name+"."+v.Name)
			}
		}
		for _, f := range def.Fields {
			if f.Directives.ForName("deprecated") != nil {
				out = append(out, name+"."+f.Name)
			}
			for _, a := range f.Arguments {
				if a.Directives.ForName("deprecated") != nil {
					out = append(out, name+"."+f.Name+"("+a.Name+":)")
				}
			}
		}
	}
	slices.Sort(out)
	return out
}
