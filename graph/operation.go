package graph

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// selectOperation picks the operation a request runs (the spec's GetOperation): the one named name,
// or the only one when name is empty. Validation has already refused an anonymous operation beside
// another (LoneAnonymousOperation).
func selectOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *gqlerror.Error) {
	if name == "" {
		if len(doc.Operations) != 1 {
			return nil, errcode.New(errcode.ValidationFailed, fmt.Sprintf(
				"the document has %d operations: operationName must name the one to run", len(doc.Operations)))
		}
		return doc.Operations[0], nil
	}
	if op := doc.Operations.ForName(name); op != nil {
		return op, nil
	}
	return nil, errcode.New(errcode.ValidationFailed, fmt.Sprintf("the document has no operation named %q", name))
}
