package opgen

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// Config tells a Generator what to generate. The zero value of a numeric field means its default.
type Config struct {
	// Schema is the schema operations are generated over. Required.
	Schema *ast.Schema
	// Depth bounds the nesting of the fields generated (`{ a { b } }` is 2). Default 6; at most
	// Limits.Depth.
	Depth int
	// Fields bounds the field selections written in one operation (a fragment's body once). Default 40.
	Fields int
	// RootItems is the most selections written at the root (fields, fragments). Default 3.
	RootItems int
	// Limits are the gateway's limits (graph.Limits): an operation over one is invalid.
	Limits Limits
	// MutationRate is the share of operations that are mutations, when the schema has a mutation type;
	// 0 generates none.
	MutationRate float64
	// Values, when set, chooses the value of an argument or input field it knows (ok true); the
	// generator falls back to a value of the type otherwise.
	Values func(r *rand.Rand, at ValueSite) (v any, ok bool)
	// Skip, when set, leaves out the fields it returns true for (e.g. values a mutation changes between
	// two runs of it).
	Skip func(op ast.Operation, parent *ast.Definition, field *ast.FieldDefinition) bool
	// Accept, when set, is a last check of each valid operation (e.g. its cost); an error rejects it
	// and another is generated. Stats counts these apart from invalid operations.
	Accept func(doc *ast.QueryDocument, op Operation) error
}

// Limits are the bounds of server.limits, fragments expanded as the gateway counts them. The zero value
// of a field means the gateway's default.
type Limits struct {
	Depth      int // max_depth, default 20
	Aliases    int // max_aliases, default 30
	RootFields int // max_root_fields, default 20
	Directives int // max_directives, default 50
}

// ValueSite is where a value is needed: an argument of a field, or a field of an input object.
type ValueSite struct {
	// Parent is the type whose field takes the argument ("" for an input field).
	Parent string
	// Field is the field taking the argument ("" for an input field).
	Field string
	// Input is the input object type holding InputField ("" for an argument).
	Input string
	// Name is the argument's or the input field's name.
	Name string
	// Type is the type of the value.
	Type *ast.Type
}

// Operation is one generated GraphQL request.
type Operation struct {
	// Query is the document: one operation and the fragments it spreads.
	Query string
	// OperationName is the operation's name.
	OperationName string
	// Variables are the variable values sent with it, JSON-marshalable; variables with a default are
	// sometimes left out.
	Variables map[string]any
	// Kind is query or mutation.
	Kind ast.Operation
}

// Stats counts what a Generator did.
type Stats struct {
	// Generated is the operations returned.
	Generated int64
	// Invalid is the operations refused by the validator (or by variable coercion, or over a limit) and
	// generated again.
	Invalid int64
	// Refused is the valid operations Config.Accept refused.
	Refused int64
}

// Generator makes random operations. It is safe for concurrent use.
type Generator struct {
	cfg                         Config
	typeNames                   []string // the schema's, sorted
	generated, invalid, refused atomic.Int64
	lastInvalid                 atomic.Pointer[string]
}

// ErrNoSchema is returned by New without a schema.
var ErrNoSchema = errors.New("opgen: Config.Schema is required")

// maxTries bounds the attempts at one valid operation; past it Generate returns the last attempt.
const maxTries = 100

// New returns a Generator for cfg, defaults applied.
func New(cfg Config) (*Generator, error) {
	if cfg.Schema == nil || cfg.Schema.Query == nil {
		return nil, ErrNoSchema
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Limits.Depth, 20)
	def(&cfg.Limits.Aliases, 30)
	def(&cfg.Limits.RootFields, 20)
	def(&cfg.Limits.Directives, 50)
	def(&cfg.Depth, 6)
	cfg.Depth = min(cfg.Depth, cfg.Limits.Depth)
	def(&cfg.Fields, 40)
	def(&cfg.RootItems, 3)
	return &Generator{cfg: cfg, typeNames: sortedTypeNames(cfg.Schema)}, nil
}

// Stats returns the counts so far.
func (g *Generator) Stats() Stats {
	return Stats{Generated: g.generated.Load(), Invalid: g.invalid.Load(), Refused: g.refused.Load()}
}

// LastInvalid returns why the last invalid operation was refused, with its text; "" if none was.
func (g *Generator) LastInvalid() string {
	if p := g.lastInvalid.Load(); p != nil {
		return *p
	}
	return ""
}

// Generate returns a valid operation drawn with r.
func (g *Generator) Generate(r *rand.Rand) Operation {
	var op Operation
	for range maxTries {
		var doc *ast.QueryDocument
		var err error
		op, doc, err = g.attempt(r)
		if err != nil {
			g.invalid.Add(1)
			msg := err.Error() + "\n" + op.Query
			g.lastInvalid.Store(&msg)
			continue
		}
		if g.cfg.Accept != nil {
			if err := g.cfg.Accept(doc, op); err != nil {
				g.refused.Add(1)
				continue
			}
		}
		break
	}
	g.generated.Add(1)
	return op
}

// FromBytes returns a valid operation whose random choices are read from b (then zeros, then a
// generator seeded from b): a fuzz target's input.
func (g *Generator) FromBytes(b []byte) Operation {
	return g.Generate(rand.New(newByteSource(b)))
}

// attempt generates one operation and checks it.
func (g *Generator) attempt(r *rand.Rand) (Operation, *ast.QueryDocument, error) {
	kind := ast.Query
	root := g.cfg.Schema.Query
	if g.cfg.Schema.Mutation != nil && g.cfg.MutationRate > 0 && r.Float64() < g.cfg.MutationRate {
		kind, root = ast.Mutation, g.cfg.Schema.Mutation
	}
	b := newBuilder(g, r, kind)
	op := b.operation(root)
	doc, errs := gqlparser.LoadQuery(g.cfg.Schema, op.Query)
	if len(errs) > 0 {
		return op, nil, fmt.Errorf("invalid: %w", errs)
	}
	if _, err := validator.VariableValues(g.cfg.Schema, doc.Operations[0], op.Variables); err != nil {
		return op, nil, fmt.Errorf("variables: %w", err)
	}
	if err := g.checkLimits(doc); err != nil {
		return op, nil, err
	}
	return op, doc, nil
}

// Variables draws values for the variables op declares (as Config.Values or their types choose, the
// variable's name as ValueSite.Name), for an operation written by hand. Variables with a default are
// sometimes left out.
func (g *Generator) Variables(r *rand.Rand, op *ast.OperationDefinition) map[string]any {
	b := newBuilder(g, r, op.Operation)
	out := map[string]any{}
	for _, v := range op.VariableDefinitions {
		if v.DefaultValue != nil && b.chance(0.3) {
			continue
		}
		out[v.Variable] = b.value(ValueSite{Name: v.Variable, Type: v.Type})
	}
	return out
}
