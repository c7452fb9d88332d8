package graph

import (
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// simpleContentTypes are the Content-Types a browser sends cross-site without a CORS preflight.
var simpleContentTypes = map[string]bool{
	"application/x-www-form-urlencoded": true,
	"multipart/form-data":               true,
	"text/plain":                        true,
}

// csrfRefusal returns the error for a request the CSRF rule refuses, or nil. The rule (Apollo's): a
// request is safe when it has a Content-Type that is not one of the simple ones (a browser preflights
// it), or one of the required headers (a browser preflights any custom header). A POST without a
// Content-Type or with a simple one, and a GET without either, could come from another site's form,
// image or script: they are refused before anything parses them.
func csrfRefusal(cfg CSRFConfig, r *http.Request) *gqlerror.Error {
	if !cfg.On() {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, err := mediaType(ct)
		if err == nil && !simpleContentTypes[mt] {
			return nil
		}
	}
	for _, h := range cfg.RequiredHeaders {
		if r.Header.Get(h) != "" {
			return nil
		}
	}
	return errcode.New(errcode.BadUserInput, "this request has been blocked as a potential Cross-Site Request Forgery (CSRF): "+
		"send it with Content-Type: application/json, or with a non-empty "+strings.Join(cfg.RequiredHeaders, " or ")+" header")
}
