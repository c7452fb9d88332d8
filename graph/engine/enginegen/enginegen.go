// Package enginegen is the gqlgen plugin that writes the execution engine's bindings
// (graph/generated/engine.generated.go): for every object type of the schema, how each field is read
// from its Go model (plain fields: a JSON writer for leaves, an emitter for objects and lists) or
// resolved (the batch resolvers gqlgen declares, called with every parent of a level at once).
//
// Generated rather than reflected: the engine's hot path then does no reflection, no map look-up per
// object and no boxing of scalars; a type assertion per object and a direct field read per value is all
// it costs. The bindings live in package generated so that they can reuse gqlgen's generated argument
// coercion and the marshalers of enums and custom scalars.
package enginegen

import (
	"fmt"
	"go/types"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/99designs/gqlgen/plugin"
	"github.com/vektah/gqlparser/v2/ast"
)

// Filename is the generated file's name in the exec package's directory.
const Filename = "engine.generated.go"

// New returns the plugin.
func New() plugin.Plugin { return &Plugin{} }

// Plugin implements plugin.CodeGenerator.
type Plugin struct{}

var _ plugin.CodeGenerator = (*Plugin)(nil)

// Name implements plugin.Plugin.
func (p *Plugin) Name() string { return "trellis-engine" }

// GenerateCode implements plugin.CodeGenerator.
func (p *Plugin) GenerateCode(data *codegen.Data) error {
	g := &gen{data: data, ids: map[string]int{}}
	for _, o := range data.Objects {
		if strings.HasPrefix(o.Name, "__") || o.Definition == data.Schema.Subscription {
			continue
		}
		g.objects = append(g.objects, o)
	}
	sort.Slice(g.objects, func(i, j int) bool { return g.objects[i].Name < g.objects[j].Name })
	for i, o := range g.objects {
		g.ids[o.Name] = i
	}
	return templates.Render(templates.Options{
		PackageName:     data.Config.Exec.Package,
		Filename:        data.Config.Exec.Dir() + "/" + Filename,
		GeneratedHeader: true,
		Packages:        data.Config.Packages,
		Template:        `{{ reserveImport "context" }}{{ reserveImport "fmt" }}{{ reserveImport "github.com/99designs/gqlgen/graphql" }}{{ reserveImport "github.com/trellisgw/trellis/graph/engine" }}{{ body }}`,
		Funcs:           template.FuncMap{"body": g.body},
	})
}

type gen struct {
	data    *codegen.Data
	objects []*codegen.Object
	ids     map[string]int
	b       strings.Builder
	tmp     int
	// elemErrs names the variable holding per-element errors for the next list emitted (see
	// elementErrors), "" when there are none.
	elemErrs string
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.b, format+"\n", args...) }

func (g *gen) ref(t types.Type) string { return templates.CurrentImports.LookupType(t) }

func (g *gen) body() (string, error) {
	g.p("// Type ids of the engine's bindings: indexes of EngineSchema's Types.")
	g.p("const (")
	for i, o := range g.objects {
		g.p("\tengineType%s engine.TypeID = %d", o.Name, i)
	}
	g.p(")")
	g.p("")
	g.p("// EngineSchema returns the execution engine's bindings of the schema's object types over the")
	g.p("// resolvers of es, which must come from NewExecutableSchema.")
	g.p("func EngineSchema(es graphql.ExecutableSchema) *engine.Schema {")
	g.p("\te := es.(*executableSchema)")
	g.p("\t_ = e")
	g.p("\ts := &engine.Schema{Types: make([]*engine.Type, %d)}", len(g.objects))
	for _, o := range g.objects {
		g.p("\ts.Types[engineType%s] = &engine.Type{ID: engineType%s, Name: %q, Fields: map[string]*engine.Field{", o.Name, o.Name, o.Name)
		for _, f := range o.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if err := g.field(o, f); err != nil {
				return "", fmt.Errorf("%s.%s: %w", o.Name, f.Name, err)
			}
		}
		g.p("\t}}")
	}
	g.p("\treturn s")
	g.p("}")
	return g.b.String(), nil
}

func (g *gen) isLeaf(tr *config.TypeReference) bool {
	d := tr.Definition
	return d.Kind == ast.Scalar || d.Kind == ast.Enum
}

func (g *gen) field(o *codegen.Object, f *codegen.Field) error {
	g.p("\t\t%q: {", f.Name)
	if len(f.Args) > 0 {
		g.p("\t\t\tArgs: func(ctx context.Context, raw map[string]any) (map[string]any, error) {")
		g.p("\t\t\t\tec := newExecutionContext(graphql.GetOperationContext(ctx), e, nil)")
		g.p("\t\t\t\treturn ec.%s(ctx, raw)", f.ArgsFunc())
		g.p("\t\t\t},")
	}
	switch {
	case f.IsResolver:
		g.resolve(o, f)
	case g.isLeaf(f.TypeReference):
		g.p("\t\t\tWrite: func(w *engine.Writer, obj any) bool {")
		g.p("\t\t\t\tctx := w.Context()")
		g.p("\t\t\t\t_ = ctx")
		if err := g.read(o, f, "v", "\t\t\t\t", func() {
			g.p("\t\t\t\t\tgraphql.AddError(ctx, err)")
			g.p("\t\t\t\t\tw.Null()")
			g.p("\t\t\t\t\treturn true")
		}); err != nil {
			return err
		}
		g.writeLeaf("v", f.TypeReference, "\t\t\t\t")
		g.p("\t\t\t},")
	default:
		g.p("\t\t\tEmit: func(ctx context.Context, obj any, r *engine.Results) {")
		if err := g.read(o, f, "v", "\t\t\t\t", func() { g.p("\t\t\t\t\tr.Error(err)"); g.p("\t\t\t\t\treturn") }); err != nil {
			return err
		}
		g.emit("v", f.TypeReference, "\t\t\t\t", false)
		g.p("\t\t\t},")
	}
	g.p("\t\t},")
	return nil
}

// read declares name as the field's value read from obj; onErr handles a method's error.
func (g *gen) read(o *codegen.Object, f *codegen.Field, name, ind string, onErr func()) error {
	g.p("%so := obj.(%s)", ind, g.ref(o.Reference()))
	switch f.GoFieldType {
	case codegen.GoFieldVariable:
		g.p("%s%s := o.%s", ind, name, f.GoFieldName)
	case codegen.GoFieldMethod:
		call := "o." + f.GoFieldName + "("
		if f.MethodHasContext {
			call += "ctx"
		}
		call += ")"
		if f.NoErr {
			g.p("%s%s := %s", ind, name, call)
		} else {
			g.p("%s%s, err := %s", ind, name, call)
			g.p("%sif err != nil {", ind)
			onErr()
			g.p("%s}", ind)
		}
	case codegen.GoFieldMap:
		g.p("%s%s, _ := o[%q].(%s)", ind, name, f.Name, g.ref(f.TypeReference.GO))
	default:
		return fmt.Errorf("unsupported field binding %v", f.GoFieldType)
	}
	return nil
}

func (g *gen) resolve(o *codegen.Object, f *codegen.Field) {
	g.p("\t\t\tResolve: func(ctx context.Context, args map[string]any, parents []any, r *engine.Results) error {")
	g.p("\t\t\t\tfc := struct{ Args map[string]any }{args}")
	g.p("\t\t\t\t_ = fc")
	if o.Root {
		// The root has one object, but the engine hands every occurrence of a root field with the same
		// arguments (aliases) to one call: the resolver runs once, its value goes to each.
		g.p("\t\t\t\tres, err := e.Resolvers.%s().%s(%s)", o.Name, f.GoFieldName, f.CallArgs())
		g.elementErrors(f.TypeReference, "\t\t\t\t")
		g.p("\t\t\t\tfor range parents {")
		g.p("\t\t\t\t\tr.Next()")
		g.p("\t\t\t\t\tif err != nil {")
		g.p("\t\t\t\t\t\tr.Error(err)")
		g.p("\t\t\t\t\t\tcontinue")
		g.p("\t\t\t\t\t}")
		g.emit("res", f.TypeReference, "\t\t\t\t\t", false)
		g.p("\t\t\t\t}")
		g.p("\t\t\t\treturn nil")
		g.p("\t\t\t},")
		return
	}
	g.p("\t\t\t\tobjs := make([]%s, len(parents))", g.ref(o.Reference()))
	g.p("\t\t\t\tfor i, p := range parents {")
	g.p("\t\t\t\t\tobjs[i] = p.(%s)", g.ref(o.Reference()))
	g.p("\t\t\t\t}")
	if f.IsBatch() {
		g.p("\t\t\t\tres, err := e.Resolvers.%s().%s(%s)", o.Name, f.GoFieldName, f.BatchCallArgs("objs", ""))
		g.p("\t\t\t\tvar errs []error")
		g.p("\t\t\t\tif err != nil {")
		g.p("\t\t\t\t\tbe, ok := err.(graphql.BatchErrors)")
		g.p("\t\t\t\t\tif !ok || len(be.Errors()) != len(parents) {")
		g.p("\t\t\t\t\t\treturn err")
		g.p("\t\t\t\t\t}")
		g.p("\t\t\t\t\terrs = be.Errors()")
		g.p("\t\t\t\t}")
		g.p("\t\t\t\tif len(res) != len(parents) {")
		g.p("\t\t\t\t\treturn fmt.Errorf(\"%s.%s: the batch resolver returned %%d results for %%d parents\", len(res), len(parents))", o.Name, f.Name)
		g.p("\t\t\t\t}")
		g.p("\t\t\t\tfor i := range res {")
		g.p("\t\t\t\t\tr.Next()")
		g.p("\t\t\t\t\tif errs != nil && errs[i] != nil {")
		g.p("\t\t\t\t\t\tr.Error(errs[i])")
		g.p("\t\t\t\t\t\tcontinue")
		g.p("\t\t\t\t\t}")
		g.emit("res[i]", f.TypeReference, "\t\t\t\t\t", true)
		g.p("\t\t\t\t}")
	} else {
		g.p("\t\t\t\tfor _, obj := range objs {")
		g.p("\t\t\t\t\tres, err := e.Resolvers.%s().%s(%s)", o.Name, f.GoFieldName, f.CallArgs())
		g.elementErrors(f.TypeReference, "\t\t\t\t\t")
		g.p("\t\t\t\t\tr.Next()")
		g.p("\t\t\t\t\tif err != nil {")
		g.p("\t\t\t\t\t\tr.Error(err)")
		g.p("\t\t\t\t\t\tcontinue")
		g.p("\t\t\t\t\t}")
		g.emit("res", f.TypeReference, "\t\t\t\t\t", false)
		g.p("\t\t\t\t}")
	}
	g.p("\t\t\t\treturn nil")
	g.p("\t\t\t},")
}

func (g *gen) name(prefix string) string {
	g.tmp++
	return prefix + strconv.Itoa(g.tmp)
}

// emit writes code giving the value v (an addressable expression when addressable) of type tr to r.
func (g *gen) emit(v string, tr *config.TypeReference, ind string, addressable bool) {
	if g.isLeaf(tr) {
		if tr.IsNilable() {
			g.p("%sif %s == nil {", ind, v)
			g.p("%s\tr.Null()", ind)
			g.p("%s} else {", ind)
			g.leaf(v, tr, ind+"\t")
			g.p("%s}", ind)
			return
		}
		g.leaf(v, tr, ind)
		return
	}
	if tr.IsSlice() {
		if tr.IsPtrToSlice() {
			g.p("%sif %s == nil {", ind, v)
			g.p("%s\tr.Null()", ind)
			g.p("%s} else {", ind)
			inner := g.name("l")
			g.p("%s\t%s := *%s", ind, inner, v)
			g.list(inner, tr, ind+"\t")
			g.p("%s}", ind)
			return
		}
		if !tr.GQL.NonNull {
			g.p("%sif %s == nil {", ind, v)
			g.p("%s\tr.Null()", ind)
			g.p("%s} else {", ind)
			g.list(v, tr, ind+"\t")
			g.p("%s}", ind)
			return
		}
		g.list(v, tr, ind)
		return
	}
	g.object(v, tr, ind, addressable)
}

// leaf gives the leaf value v as JSON written into r's leaf buffer.
func (g *gen) leaf(v string, tr *config.TypeReference, ind string) {
	s := g.name("s")
	g.p("%s%s := r.LeafStart()", ind, s)
	g.p("%sfunc(w *engine.Writer) bool {", ind)
	g.p("%s\tctx := w.Context()", ind)
	g.p("%s\t_ = ctx", ind)
	g.writeLeaf(v, tr, ind+"\t")
	g.p("%s}(r.Leaf())", ind)
	g.p("%sr.EndLeaf(%s)", ind, s)
}

func (g *gen) list(v string, tr *config.TypeReference, ind string) {
	i := g.name("i")
	errs := g.elemErrs
	g.elemErrs = "" // the resolver's list only, not the lists inside it
	g.p("%sr.List(len(%s))", ind, v)
	g.p("%sfor %s := range %s {", ind, i, v)
	if errs != "" {
		g.p("%s\tif %s != nil && %s[%s] != nil {", ind, errs, errs, i)
		g.p("%s\t\tr.Error(%s[%s])", ind, errs, i)
		g.p("%s\t\tcontinue", ind)
		g.p("%s\t}", ind)
	}
	g.emit(v+"["+i+"]", tr.Elem(), ind+"\t", true)
	g.p("%s}", ind)
}

// elementErrors writes, after a resolver call giving res and err, the handling of per-element
// errors when the field is a list: a resolver may answer its list with some elements failed by
// returning the list and a graphql.BatchErrors as long as it, holding each failed element's error
// (nil for the others). Those elements are errors at their own paths; the rest of the list is served.
// (engine.ElementErrors gives gqlgen's executor the same semantics.)
func (g *gen) elementErrors(tr *config.TypeReference, ind string) {
	if !tr.IsSlice() || tr.IsPtrToSlice() {
		return
	}
	errs := g.name("elemErrs")
	g.p("%svar %s []error", ind, errs)
	g.p("%sif be, ok := err.(graphql.BatchErrors); ok && len(res) > 0 && len(be.Errors()) == len(res) {", ind)
	g.p("%s\t%s, err = be.Errors(), nil", ind, errs)
	g.p("%s}", ind)
	g.elemErrs = errs
}

// object gives an object, interface or union value.
func (g *gen) object(v string, tr *config.TypeReference, ind string, addressable bool) {
	d := tr.Definition
	nilable := tr.IsNilable()
	if nilable {
		g.p("%sif %s == nil {", ind, v)
		g.p("%s\tr.Null()", ind)
		g.p("%s} else {", ind)
		ind += "\t"
	}
	switch d.Kind {
	case ast.Object:
		if tr.IsPtr() {
			g.p("%sr.Object(engineType%s, %s)", ind, d.Name, v)
		} else if addressable {
			g.p("%sr.Object(engineType%s, &%s)", ind, d.Name, v)
		} else {
			c := g.name("c")
			g.p("%s%s := %s", ind, c, v)
			g.p("%sr.Object(engineType%s, &%s)", ind, d.Name, c)
		}
	default:
		x := g.name("x")
		g.p("%sswitch %s := %s.(type) {", ind, x, v)
		for _, impl := range g.implementors(d) {
			for _, t := range impl.types {
				g.p("%scase %s:", ind, g.ref(t))
				if _, isPtr := t.(*types.Pointer); isPtr {
					g.p("%s\tr.Object(engineType%s, %s)", ind, impl.name, x)
				} else {
					g.p("%s\tr.Object(engineType%s, &%s)", ind, impl.name, x)
				}
			}
		}
		g.p("%sdefault:", ind)
		g.p("%s\tr.Error(fmt.Errorf(\"unexpected type %%T for %s\", %s))", ind, d.Name, x)
		g.p("%s}", ind)
	}
	if nilable {
		g.p("%s}", ind[:len(ind)-1])
	}
}

type implementor struct {
	name  string
	types []types.Type
}

// implementors returns the object types of abstract type d with the Go types that stand for them
// (the model pointer, and the value where gqlgen accepts it).
func (g *gen) implementors(d *ast.Definition) []implementor {
	var out []implementor
	for _, pt := range g.data.Schema.GetPossibleTypes(d) {
		for _, o := range g.objects {
			if o.Name != pt.Name {
				continue
			}
			ref := o.Reference()
			im := implementor{name: o.Name, types: []types.Type{ref}}
			if p, ok := ref.(*types.Pointer); ok {
				im.types = append(im.types, p.Elem())
			}
			out = append(out, im)
		}
	}
	return out
}

// writeLeaf writes code that writes the leaf value v (of type tr) to w and returns whether it was null.
func (g *gen) writeLeaf(v string, tr *config.TypeReference, ind string) {
	if tr.IsSlice() || tr.Definition.Kind == ast.Enum || tr.Marshaler == nil || !builtin(tr) {
		// Lists of leaves, enums and custom scalars: gqlgen's generated marshaler.
		if tr.IsNilable() {
			g.p("%sif %s == nil {", ind, v)
			g.p("%s\tw.Null()", ind)
			g.p("%s\treturn true", ind)
			g.p("%s}", ind)
		}
		g.p("%sec := newExecutionContext(graphql.GetOperationContext(ctx), e, nil)", ind)
		g.p("%sec.%s(ctx, nil, %s).MarshalGQL(w)", ind, tr.MarshalFunc(), v)
		g.p("%sreturn false", ind)
		return
	}
	val := v
	if tr.IsPtr() {
		g.p("%sif %s == nil {", ind, v)
		g.p("%s\tw.Null()", ind)
		g.p("%s\treturn true", ind)
		g.p("%s}", ind)
		val = "*" + v
	}
	switch tr.Definition.Name {
	case "String", "ID":
		g.p("%sw.String(string(%s))", ind, val)
	case "Int":
		g.p("%sw.Int(int64(%s))", ind, val)
	case "Float":
		g.p("%sw.Float(float64(%s))", ind, val)
	case "Boolean":
		g.p("%sw.Bool(bool(%s))", ind, val)
	}
	g.p("%sreturn false", ind)
}

// builtin reports whether tr is a built-in scalar bound to a Go string, integer, float or bool (as
// gqlgen binds them by default), written without its marshaler.
func builtin(tr *config.TypeReference) bool {
	t := tr.GO
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	b, ok := t.Underlying().(*types.Basic)
	if !ok {
		return false
	}
	switch tr.Definition.Name {
	case "String", "ID":
		return b.Info()&types.IsString != 0
	case "Int":
		return b.Info()&types.IsInteger != 0
	case "Float":
		return b.Info()&types.IsFloat != 0
	case "Boolean":
		return b.Info()&types.IsBoolean != 0
	}
	return false
}
