package graphiql

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// AssetPrefix is the path under which Handler serves the page's scripts, styles and licences; the page
// itself is at "/".
const AssetPrefix = "/graphiql/"

// LicensesFile is the name, under AssetPrefix, of the licences of the bundled npm packages.
const LicensesFile = "THIRD_PARTY_LICENSES.txt"

//go:embed dist
var dist embed.FS

// manifest names the bundle's content-hashed files (dist/manifest.json, written by web/build.mjs).
type manifest struct {
	JS  string `json:"js"`
	CSS string `json:"css"`
}

// Assets returns the embedded build output (manifest.json, the hashed JS and CSS, the licences), rooted
// at the directory the files are served from.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // fs.Sub fails only on an invalid name, and "dist" is valid.
		return dist
	}
	return sub
}

// readManifest reads and checks dist/manifest.json.
func readManifest(assets fs.FS) (manifest, error) {
	raw, err := fs.ReadFile(assets, "manifest.json")
	if err != nil {
		return manifest{}, fmt.Errorf("graphiql: read manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return manifest{}, fmt.Errorf("graphiql: decode manifest: %w", err)
	}
	for _, name := range []string{m.JS, m.CSS} {
		if name == "" || path.Base(name) != name {
			return manifest{}, fmt.Errorf("graphiql: manifest names %q, want a file name", name)
		}
		if _, err := fs.Stat(assets, name); err != nil {
			return manifest{}, fmt.Errorf("graphiql: manifest names a missing file: %w", err)
		}
	}
	return m, nil
}

// page is the HTML shell: GraphiQL's bundle renders into #graphiql and reads its configuration from the
// data attributes, since the policy allows no inline script.
var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Trellis · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{.Prefix}}{{.CSS}}">
<script type="module" src="{{.Prefix}}{{.JS}}"></script>
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}" data-style-nonce="{{.Nonce}}">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript. The GraphQL endpoint is {{.Endpoint}}.</noscript>
</body>
</html>
`))

// handler serves the page and its assets.
type handler struct {
	assets   fs.FS
	files    http.Handler
	m        manifest
	endpoint string
	connect  string // the CSP connect-src sources
	broken   error  // set when the embedded build output is unusable (a build bug the tests catch)
	gz       gzipped
}

// Handler returns the GraphiQL handler: GET (and HEAD) "/" answers the page, which sends its queries to
// endpoint (a path such as "/graphql", resolved against the page's origin, or an absolute http(s) URL);
// GET AssetPrefix+name answers the bundle's files. Anything else is 404, a method other than GET or HEAD
// is 405. Mount it on "GET /{$}" and "GET "+AssetPrefix.
func Handler(endpoint string) http.Handler {
	h := &handler{assets: Assets(), endpoint: endpoint, connect: "'self'"}
	h.files = http.StripPrefix(AssetPrefix, http.FileServerFS(h.assets))
	m, err := readManifest(h.assets)
	h.m, h.broken = m, err
	origin, err := endpointOrigin(endpoint)
	switch {
	case err != nil:
		h.broken = err
	case origin != "":
		h.connect += " " + origin
	}
	return h
}

// endpointOrigin returns the origin of an absolute http(s) endpoint, "" for a path on the page's
// origin, and an error for anything else (a relative path, another scheme, a scheme-relative URL).
func endpointOrigin(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return "", fmt.Errorf("graphiql: endpoint %q: %w", endpoint, err)
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		return u.Scheme + "://" + u.Host, nil
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(endpoint, "//"):
		return "", nil
	}
	return "", fmt.Errorf("graphiql: endpoint %q: want a path such as /graphql or an http(s) URL", endpoint)
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch {
	case r.URL.Path == "/":
		if !methodAllowed(w, r) {
			return
		}
		h.servePage(w, r)
	case strings.HasPrefix(r.URL.Path, AssetPrefix):
		if !methodAllowed(w, r) {
			return
		}
		h.serveAsset(w, r)
	default:
		http.NotFound(w, r)
	}
}

func methodAllowed(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	if h.broken != nil {
		http.Error(w, h.broken.Error(), http.StatusInternalServerError)
		return
	}
	var b [18]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it crashes the program instead).
	nonce := base64.RawURLEncoding.EncodeToString(b[:])
	var buf bytes.Buffer
	err := page.Execute(&buf, struct{ Prefix, JS, CSS, Endpoint, Nonce string }{
		Prefix: AssetPrefix, JS: h.m.JS, CSS: h.m.CSS, Endpoint: h.endpoint, Nonce: nonce,
	})
	if err != nil {
		http.Error(w, "graphiql: render page", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// The nonce is new in every response: the page must not be reused from a cache.
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", contentSecurityPolicy(nonce, h.connect))
	hd.Set("Referrer-Policy", "no-referrer") // the page's URL is nobody else's business
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = w.Write(buf.Bytes())
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, AssetPrefix)
	hd := w.Header()
	switch {
	case h.broken == nil && (name == h.m.JS || name == h.m.CSS):
		// The names carry a hash of the content: a new build has new names.
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
		hd.Set("Vary", "Accept-Encoding")
		ctype := "text/javascript; charset=utf-8"
		if name == h.m.CSS {
			ctype = "text/css; charset=utf-8"
		}
		if r.Header.Get("Range") == "" && acceptsGzip(r) && h.serveGzipped(w, r, name, ctype) {
			return
		}
		hd.Set("Content-Type", ctype)
	case name == LicensesFile:
		hd.Set("Cache-Control", "no-cache")
		hd.Set("Content-Type", "text/plain; charset=utf-8")
	default: // manifest.json, directories, unknown names
		http.NotFound(w, r)
		return
	}
	h.files.ServeHTTP(w, r)
}

// contentSecurityPolicy is the policy of the GraphiQL page: nothing but the page's own scripts and
// styles, style elements only with nonce, fonts and images from the page or inlined (data:), requests
// only to connect (CSP sources, "'self'" plus the endpoint's origin when it is another), no framing, no
// forms, no plugins, no workers. GraphiQL 4 needs no 'unsafe-eval' and no 'unsafe-inline'.
func contentSecurityPolicy(nonce, connect string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'nonce-" + nonce + "'",
		"font-src 'self' data:",
		"img-src 'self' data:",
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// Interface guard.
var _ http.Handler = (*handler)(nil)
