package graph

import "net/http"

// SecurityHeaders sets on every response what a security scanner expects of an API:
// X-Content-Type-Options: nosniff, so that no browser guesses a type other than the one declared (a
// JSON error quoting input rendered as HTML, say). The gateway sends no Server header (net/http sets
// none, and nothing here adds one), so its software and version are not advertised; the HTML page
// (GraphiQL) adds its own Referrer-Policy and Content-Security-Policy.
func SecurityHeaders(next http.Handler) http.Handler {
	nosniff := []string{"nosniff"} // shared by every response: see headerValues
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Content-Type-Options"] = nosniff
		next.ServeHTTP(w, r)
	})
}

// headerValues are the values of the header fields most /graphql responses carry, each a slice made
// once (in NewHandler) and put in the response's header map as it is, where Set would make one per
// response. They are never modified: net/http and the middleware only read header values, and an
// Add to a field that holds one appends to a full slice (cap == len), which copies it.
type headerValues struct {
	contentType map[string][]string // by response media type: "<media>; charset=utf-8"
	noStore     []string            // Cache-Control: no-store
	// vary is Vary: Accept (decodeRequest); varyAuthorization adds Authorization (executeHandler).
	vary, varyAuthorization []string
}

func newHeaderValues() *headerValues {
	hv := &headerValues{contentType: map[string][]string{}, noStore: []string{"no-store"},
		vary: []string{"Accept"}, varyAuthorization: []string{"Accept", "Authorization"}}
	for _, m := range []string{mediaJSON, mediaGraphQLResponse} {
		hv.contentType[m] = []string{m + "; charset=utf-8"}
	}
	return hv
}

// setContentType sets the response's Content-Type to media.
func (hv *headerValues) setContentType(w http.ResponseWriter, media string) {
	if v, ok := hv.contentType[media]; ok {
		w.Header()["Content-Type"] = v
		return
	}
	setContentType(w, media)
}

// addVaryAccept adds Accept to the response's Vary (CORS may have put Origin there).
func (hv *headerValues) addVaryAccept(h http.Header) {
	if len(h["Vary"]) == 0 {
		h["Vary"] = hv.vary
		return
	}
	h.Add("Vary", "Accept")
}

// addVaryAuthorization adds Authorization to the response's Vary.
func (hv *headerValues) addVaryAuthorization(h http.Header) {
	if v := h["Vary"]; len(v) == 1 && &v[0] == &hv.vary[0] { // still the shared Accept alone
		h["Vary"] = hv.varyAuthorization
		return
	}
	h.Add("Vary", "Authorization")
}
