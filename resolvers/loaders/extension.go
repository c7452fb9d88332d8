package loaders

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/upstreams"
)

// Extension is the gqlgen handler extension that gives every operation its Loaders and keeps their
// scheduler's count of field resolutions (see the package doc).
type Extension struct {
	clients *upstreams.Clients
	cfg     Config
	in      instruments
	schema  *ast.Schema
	// progress counts the progress of every operation's scheduler: the watchdogs' sign that the process
	// is busy rather than an operation miscounted.
	progress atomic.Uint64
}

// NewExtension returns the extension over the clients c; cfg's zero fields take their defaults.
func NewExtension(c *upstreams.Clients, cfg Config) *Extension {
	return &Extension{clients: c, cfg: cfg.WithDefaults(), in: newInstruments()}
}

// Interface guards.
var (
	_ graphql.HandlerExtension     = (*Extension)(nil)
	_ graphql.OperationInterceptor = (*Extension)(nil)
	_ graphql.RootFieldInterceptor = (*Extension)(nil)
	_ graphql.FieldInterceptor     = (*Extension)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (e *Extension) ExtensionName() string { return "TrellisLoaders" }

// Validate implements graphql.HandlerExtension; it keeps the schema to tell object types from others.
func (e *Extension) Validate(es graphql.ExecutableSchema) error {
	e.schema = es.Schema()
	return nil
}

// InterceptOperation gives the operation its loaders and, for a query, announces its root fields,
// which gqlgen resolves concurrently. The loaders are closed once the response is complete.
func (e *Extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	l, closeLoaders := newLoaders(ctx, e.clients, e.cfg, e.in, &e.progress)
	ctx = NewContext(ctx, l)
	if oc.Operation.Operation == ast.Query {
		l.s.expect(countFields(graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"})))
	}
	respond := next(ctx)
	var once sync.Once
	return func(ctx context.Context) *graphql.Response {
		resp := respond(ctx)
		once.Do(closeLoaders) // queries and mutations have exactly one response
		return resp
	}
}

// InterceptRootField announces each root field of a mutation as it starts: gqlgen runs them one after
// the other, so announcing them all up front would keep the count from ever meeting.
func (e *Extension) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	if l := FromContext(ctx); l != nil && graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation {
		l.s.expect(1)
	}
	return next(ctx)
}

// InterceptField runs around every field's resolver: when it returns, the field is finished and its
// result announces the child fields gqlgen will resolve next.
func (e *Extension) InterceptField(ctx context.Context, next graphql.Resolver) (res any, err error) {
	l := FromContext(ctx)
	if l == nil {
		return next(ctx)
	}
	defer func() {
		if p := recover(); p != nil {
			l.FieldPanicked()
			panic(p) // gqlgen's recover turns it into a field error
		}
	}()
	res, err = next(ctx)
	e.FieldFinished(ctx, l, res, err)
	return res, err
}

// FieldFinished is InterceptField's work once the current field's resolver has returned res and err,
// for a caller that runs several extensions' per-field work in one interceptor: it counts the field
// finished and announces the child fields gqlgen will resolve over res. l is FromContext(ctx); nil
// does nothing. Exactly one of FieldFinished and FieldPanicked must follow each field resolution.
func (e *Extension) FieldFinished(ctx context.Context, l *Loaders, res any, err error) {
	if l == nil {
		return
	}
	children := 0
	if err == nil && res != nil {
		children = e.children(ctx, l, res)
	}
	l.s.expect(children - 1)
}

// FieldPanicked counts the current field finished when its resolver panicked (gqlgen's recover turns
// the panic into a field error; the field has no children). See FieldFinished.
func (l *Loaders) FieldPanicked() { l.s.expect(-1) }

// children returns how many field resolutions gqlgen will run over res, the result of the current
// field: the objects in res times the fields selected on their type. It returns 0 for leaves, and for
// abstract types, whose fields depend on each object's concrete type: an under-count that can only send
// batches early (see the package doc).
func (e *Extension) children(ctx context.Context, l *Loaders, res any) int {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil || e.schema == nil {
		return 0
	}
	typ := fc.Field.Definition.Type
	def := e.schema.Types[typ.Name()]
	if def == nil || def.Kind != ast.Object {
		return 0
	}
	perObject := l.fieldsPerObject(ctx, fc.Field.Selections, def.Name)
	if perObject == 0 {
		return 0
	}
	return perObject * countObjects(reflect.ValueOf(res), typ)
}

// countFields counts the collected fields that gqlgen resolves through the field middleware
// (__typename is answered inline).
func countFields(fields []graphql.CollectedField) int {
	n := 0
	for _, f := range fields {
		if f.Name != "__typename" {
			n++
		}
	}
	return n
}

// countObjects counts the non-null objects in v, a value of GraphQL type t.
func countObjects(v reflect.Value, t *ast.Type) int {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return 0
		}
		v = v.Elem()
	}
	if t.Elem == nil {
		return 1
	}
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return 0
	}
	if t.Elem.Elem == nil {
		switch v.Type().Elem().Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice:
		default:
			return v.Len() // a flat list of values: no element can be null
		}
	}
	n := 0
	for i := range v.Len() {
		n += countObjects(v.Index(i), t.Elem)
	}
	return n
}
