package graph

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// maxErrors is the most errors one response carries, as graphql-js stops validating at 100: a small
// document must not be answered with thousands of errors (2 400 unknown directives in 7 KB were once
// 4 799 errors in 707 KB).
const maxErrors = 100

// capErrors keeps the first maxErrors-1 of errs and, when there are more, puts in place of the rest
// one error saying how many were left out (extensions.omittedErrors), with the code of the first of
// them.
func capErrors(errs gqlerror.List) gqlerror.List {
	if len(errs) <= maxErrors {
		return errs
	}
	omitted := len(errs) - (maxErrors - 1)
	code := errcode.Code(errs[maxErrors-1])
	if code == "" {
		code = errcode.Internal
	}
	last := errcode.New(code, fmt.Sprintf("%d more errors were left out: a response carries at most %d", omitted, maxErrors))
	last.Extensions["omittedErrors"] = omitted
	return append(errs[:maxErrors-1:maxErrors-1], last)
}
