package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/internal/bufpool"
)

// Engine executes operations level by level over the generated bindings (see the package doc).
// It is safe for concurrent use; make one per executable schema.
type Engine struct {
	schema        *ast.Schema
	bind          *Schema
	types         map[string]*Type
	batching      Batching
	guard         Guard
	observers     []FieldObserver
	tracer        Tracer
	planCacheSize int
	buffers       *bufpool.Pool
	plans         *lru.Cache[planKey, *plan]
	runs          sync.Pool // *run: the memory of finished runs (runmem.go)
}

// planKey identifies a plan: the operation (documents are cached by the executor, so a cached
// document's operations keep their identity) and the values of its Boolean variables.
type planKey struct {
	op    *ast.OperationDefinition
	conds uint64
}

// New returns an engine over schema and the generated bindings b.
func New(schema *ast.Schema, b *Schema, opts ...Option) (*Engine, error) {
	e := &Engine{schema: schema, bind: b, types: map[string]*Type{}, planCacheSize: 1000}
	for _, o := range opts {
		o(e)
	}
	for _, t := range b.Types {
		e.types[t.Name] = t
	}
	for name, def := range schema.Types {
		if def.Kind != ast.Object || len(name) > 1 && name[:2] == "__" {
			continue
		}
		t := e.types[name]
		if t == nil {
			return nil, fmt.Errorf("engine: the bindings lack the object type %s", name)
		}
		for _, fd := range def.Fields {
			if len(fd.Name) > 1 && fd.Name[:2] == "__" {
				continue
			}
			if t.Fields[fd.Name] == nil {
				return nil, fmt.Errorf("engine: the bindings lack the field %s.%s", name, fd.Name)
			}
		}
	}
	plans, err := lru.New[planKey, *plan](max(e.planCacheSize, 1))
	if err != nil {
		return nil, fmt.Errorf("engine: plan cache: %w", err)
	}
	e.plans = plans
	if e.batching == nil {
		e.batching = noBatching{}
	}
	return e, nil
}

type noBatching struct{}

func (noBatching) Begin(ctx context.Context) (context.Context, LevelRunner, func()) {
	return ctx, concurrent{}, func() {}
}

// planFor returns the plan of oc's operation with its variables' conditions, from the cache when
// it was made before.
func (e *Engine) planFor(oc *graphql.OperationContext) (*plan, error) {
	conds, cacheable := conditionKey(oc.Operation, oc.Variables)
	key := planKey{op: oc.Operation, conds: conds}
	if cacheable {
		if p, ok := e.plans.Get(key); ok {
			return p, nil
		}
	}
	p, err := makePlan(e.schema, e.types, oc.Doc, oc.Operation, oc.Variables)
	if err != nil {
		return nil, err
	}
	if e.guard != nil {
		p.checks = make([]*Check, len(p.fields))
		for _, f := range p.fields {
			if f.def != nil {
				p.checks[f.id] = e.guard.FieldCheck(f.parent.def.Name, f.name)
			}
		}
	}
	if cacheable {
		e.plans.Add(key, p)
	}
	return p, nil
}

// Plans returns whether oc's operation runs on the engine (false: it selects __schema or __type,
// and gqlgen's executor answers it).
func (e *Engine) Plans(oc *graphql.OperationContext) bool {
	p, err := e.planFor(oc)
	return err != nil || !p.introspection
}

// Execute runs oc's operation and returns its response: data written once, in document order; field
// errors (presented by the executor's error presenter) with their paths. ctx must be the executor's
// response context (Exec's).
func (e *Engine) Execute(ctx context.Context, oc *graphql.OperationContext) *graphql.Response {
	p, err := e.planFor(oc)
	if err != nil {
		graphql.AddError(ctx, err)
		return &graphql.Response{Data: []byte("null")}
	}
	ctx, runner, end := e.batching.Begin(ctx)
	defer end()
	r := e.newRun(ctx, p, oc, runner)
	r.execute()
	data := r.write()
	r.observe()
	r.record(len(data))
	// Every resolver call has returned (batches still in flight serve no one): nothing uses r any
	// more. A panic above leaves r to the collector.
	e.release(r)
	return &graphql.Response{Data: data}
}
