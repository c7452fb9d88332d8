package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/trellisgw/trellis/graph/errcode"
)

// documents turns query texts into parsed, limited and validated documents, in that order, so that
// the cheap checks bound the work of the expensive ones:
//  1. the document cache (a hit was checked when it was added);
//  2. parsing, at most server.max_tokens tokens (GRAPHQL_PARSE_FAILED);
//  3. the shape limits of server.limits, counted on the parsed document (checkLimits), and the
//     refusal of @defer and @stream (incrementalRefusal);
//  4. validation with gqlparser's rules, OverlappingFieldsCanBeMerged replaced by a rule linear in
//     the fields (fieldsCanMergeRule) and, in production, every rule that suggests names replaced
//     by its variant that does not;
//  5. the cache keeps the document when its query is at most maxCachedQuery bytes.
//
// The transport loads the document this way before it makes the operation context (opcontext.go);
// where the executor makes it (a variable's default to fill in), the transport hands the document over
// through the executor's query cache (handedOver), so the executor does not parse or validate again.
type documents struct {
	schema          *ast.Schema
	cache           graphql.Cache[*ast.QueryDocument] // nil: none
	tokenLimit      int
	limits          Limits
	hideSuggestions bool // production mode (package gateway resolves it)
}

// load returns query's document, or the errors that refuse it (each with its extensions.code).
func (d documents) load(ctx context.Context, query string) (*ast.QueryDocument, gqlerror.List) {
	if d.cache != nil {
		if doc, ok := d.cache.Get(ctx, query); ok {
			return doc, nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, d.tokenLimit)
	if err != nil {
		e, ok := err.(*gqlerror.Error)
		if !ok {
			e = gqlerror.Wrap(err)
		}
		return nil, gqlerror.List{withCode(e, errcode.ParseFailed)}
	}
	if len(doc.Operations) == 0 {
		return nil, gqlerror.List{errcode.New(errcode.ValidationFailed, "the document has no operation")}
	}
	if e := checkLimits(doc, d.limits); e != nil {
		return nil, gqlerror.List{e}
	}
	if e := incrementalRefusal(doc); e != nil {
		return nil, gqlerror.List{e}
	}
	if errs := validator.ValidateWithRules(d.schema, doc, validationRules(d.hideSuggestions)); len(errs) > 0 {
		for _, e := range errs {
			withCode(e, errcode.ValidationFailed)
		}
		return nil, errs
	}
	if d.cache != nil && len(query) <= maxCachedQuery {
		d.cache.Add(ctx, query, doc)
	}
	return doc, nil
}

func withCode(e *gqlerror.Error, code string) *gqlerror.Error {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
	return e
}

// validationRules is gqlparser's default rule set with OverlappingFieldsCanBeMerged replaced by
// fieldsCanMergeRule and, in production, no rule that suggests: the rules that name other fields,
// arguments, input fields, types or enum values of the schema ("Did you mean …") are replaced by
// their WithoutSuggestions variants (under the same name, so that the executor's own swap of
// FieldsOnCorrectType and ScalarLeafs, were it to validate, finds them), and every message is cut
// before a "Did you mean" a rule may add all the same.
func validationRules(hideSuggestions bool) *rules.Rules {
	rs := rules.NewDefaultRules()
	rs.ReplaceRule(fieldsCanMergeRule.Name, fieldsCanMergeRule.RuleFunc)
	if !hideSuggestions {
		return rs
	}
	for _, r := range []core.Rule{
		rules.FieldsOnCorrectTypeRuleWithoutSuggestions,
		rules.KnownArgumentNamesRuleWithoutSuggestions,
		rules.KnownTypeNamesRuleWithoutSuggestions,
		rules.ScalarLeafsRuleWithoutSuggestions,
		rules.ValuesOfCorrectTypeRuleWithoutSuggestions,
	} {
		rs.ReplaceRule(strings.TrimSuffix(r.Name, "WithoutSuggestions"), r.RuleFunc)
	}
	for name, fn := range rs.GetInner() {
		rs.ReplaceRule(name, withoutSuggestions(fn))
	}
	return rs
}

// suggestion starts the part of a validation message that names what the client may have meant.
const suggestion = " Did you mean"

// withoutSuggestions wraps a rule so that its messages end before any suggestion.
func withoutSuggestions(fn core.RuleFunc) core.RuleFunc {
	return func(observers *core.Events, addError core.AddErrFunc) {
		fn(observers, func(options ...core.ErrorOption) {
			addError(append(options, func(e *gqlerror.Error) {
				if i := strings.Index(e.Message, suggestion); i >= 0 {
					e.Message = e.Message[:i]
				}
			})...)
		})
	}
}

// handedOver is the executor's query cache: it returns the document the transport loaded for this
// request (httpRequest.op's query and doc, set before CreateOperationContext), and keeps nothing
// itself.
type handedOver struct{}

// Get implements graphql.Cache.
func (handedOver) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	req := requestOf(ctx)
	if req == nil || req.op.doc == nil || req.op.query != query {
		return nil, false
	}
	return req.op.doc, true
}

// Add implements graphql.Cache: documents.load keeps what is worth keeping.
func (handedOver) Add(context.Context, string, *ast.QueryDocument) {}

var _ graphql.Cache[*ast.QueryDocument] = handedOver{}
