package graphiql

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerRoutes(t *testing.T) {
	m, err := readManifest(Assets())
	if err != nil {
		t.Fatal(err)
	}
	h := Handler("/graphql")
	tests := []struct {
		name, method, target string
		wantStatus           int
		wantType, wantCache  string
		wantCSP              bool
	}{
		{"page", "GET", "/", 200, "text/html; charset=utf-8", "no-store", true},
		{"page HEAD", "HEAD", "/", 200, "text/html; charset=utf-8", "no-store", true},
		{"script", "GET", AssetPrefix + m.JS, 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", false},
		{"style", "GET", AssetPrefix + m.CSS, 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", false},
		{"licences", "GET", AssetPrefix + LicensesFile, 200, "text/plain; charset=utf-8", "no-cache", false},
		{"manifest is not served", "GET", AssetPrefix + "manifest.json", 404, "", "", false},
		{"asset directory", "GET", AssetPrefix, 404, "", "", false},
		{"unknown asset", "GET", AssetPrefix + "graphiql-AAAAAAAA.js", 404, "", "", false},
		{"traversal", "GET", AssetPrefix + "..%2fgraphiql.go", 404, "", "", false},
		{"other path", "GET", "/index.html", 404, "", "", false},
		{"POST page", "POST", "/", 405, "", "", false},
		{"DELETE asset", "DELETE", AssetPrefix + m.JS, 405, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, h, tt.method, tt.target)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", r.StatusCode, tt.wantStatus)
			}
			if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
			if tt.wantType != "" {
				if got := r.Header.Get("Content-Type"); got != tt.wantType {
					t.Errorf("Content-Type %q, want %q", got, tt.wantType)
				}
			}
			if tt.wantCache != "" {
				if got := r.Header.Get("Cache-Control"); got != tt.wantCache {
					t.Errorf("Cache-Control %q, want %q", got, tt.wantCache)
				}
			}
			if got := r.Header.Get("Content-Security-Policy") != ""; got != tt.wantCSP {
				t.Errorf("has Content-Security-Policy %v, want %v", got, tt.wantCSP)
			}
			if tt.method == "HEAD" && body(t, r) != "" {
				t.Error("HEAD answered a body")
			}
			if tt.wantStatus == 405 && r.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q, want GET, HEAD", r.Header.Get("Allow"))
			}
		})
	}
}

var nonceAttr = regexp.MustCompile(`data-style-nonce="([A-Za-z0-9_-]{24})"`)

func TestPage(t *testing.T) {
	m, err := readManifest(Assets())
	if err != nil {
		t.Fatal(err)
	}
	h := Handler("/graphql")
	first := get(t, h, "GET", "/")
	page := body(t, first)
	for _, want := range []string{
		`data-endpoint="/graphql"`,
		`<script type="module" src="/graphiql/` + m.JS + `"></script>`,
		`<link rel="stylesheet" href="/graphiql/` + m.CSS + `">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "<style") || strings.Contains(page, " style=") {
		t.Errorf("page has inline script or style, which its policy refuses:\n%s", page)
	}
	nonce := nonceAttr.FindStringSubmatch(page)
	if nonce == nil {
		t.Fatalf("page has no style nonce:\n%s", page)
	}
	csp := first.Header.Get("Content-Security-Policy")
	for _, want := range []string{
		"default-src 'none'", "script-src 'self'", "style-src 'self' 'nonce-" + nonce[1] + "'",
		"connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %q", csp, want)
		}
	}
	for _, unsafe := range []string{"unsafe-inline", "unsafe-eval", "*", "http:", "https:"} {
		if strings.Contains(csp, unsafe) {
			t.Errorf("policy %q allows %q", csp, unsafe)
		}
	}
	second := nonceAttr.FindStringSubmatch(body(t, get(t, h, "GET", "/")))
	if second == nil || second[1] == nonce[1] {
		t.Errorf("two responses share the nonce %q", nonce[1])
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		endpoint    string
		wantStatus  int
		wantConnect string
	}{
		{"/graphql", 200, "connect-src 'self';"},
		{"/api/graphql?x=1", 200, "connect-src 'self';"},
		{"https://api.example.test:8443/graphql", 200, "connect-src 'self' https://api.example.test:8443;"},
		{"", 500, ""},
		{"graphql", 500, ""},
		{"javascript:alert(1)", 500, ""},
		{"//evil.test/graphql", 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			r := get(t, Handler(tt.endpoint), "GET", "/")
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", r.StatusCode, tt.wantStatus)
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, tt.wantConnect) {
				t.Errorf("policy %q lacks %q", csp, tt.wantConnect)
			}
		})
	}
}

// allowedURLs are the absolute URLs the bundle may contain: none is fetched. They are XML namespace
// names, links a user may click, and text in error messages and in the descriptions of GraphQL's
// built-in types. Anything else with a scheme and a host fails the test: a CDN, a font service, an
// analytics endpoint.
var allowedURLs = []string{
	"http://www.w3.org/",                                        // SVG, XHTML, MathML, XLink and XML namespace names (React DOM)
	"https://react.dev/errors/",                                 // React's minified error messages
	"https://github.com/graphql/graphiql",                       // the GraphiQL logo links to the project
	"https://codemirror.net/5/doc/manual.html#keymaps",          // the settings dialog's key map help link
	"https://en.wikipedia.org/wiki/IEEE_floating_point",         // graphql-js: the Float description
	"https://commonmark.org/",                                   // graphql-js: the @deprecated description
	"https://yarnpkg.com/en/docs/selective-version-resolutions", // graphql-js: a duplicate-module error
}

// urlPattern finds absolute and protocol-relative URLs: a scheme (or none) followed by //host.
var urlPattern = regexp.MustCompile(`(?i)(?:https?:|wss?:|ftp:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::[0-9]+)?[^\s"'` + "`" + `)<>\\]*`)

// cdnHosts are hosts that must not appear even without a scheme.
var cdnHosts = []string{"unpkg.com", "jsdelivr", "cdnjs", "esm.sh", "googleapis.com", "gstatic.com", "skypack", "cloudflare"}

func TestAssetsLoadNothingFromOtherOrigins(t *testing.T) {
	page := body(t, get(t, Handler("/graphql"), "GET", "/"))
	files := map[string]string{"page": page}
	err := fs.WalkDir(Assets(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == LicensesFile { // the licences are text, never loaded
			return err
		}
		b, err := fs.ReadFile(Assets(), name)
		files[name] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d files, want the page, manifest, JS and CSS", len(files))
	}
	for name, text := range files {
		for _, u := range urlPattern.FindAllString(text, -1) {
			if strings.HasPrefix(u, "//") && !strings.Contains(u, ".") {
				continue
			}
			ok := false
			for _, allowed := range allowedURLs {
				if strings.HasPrefix(u, allowed) {
					ok = true
					break
				}
			}
			if !ok {
				t.Errorf("%s: URL of another origin %q: bundle it, or allow it here if it is never fetched", name, u)
			}
		}
		lower := strings.ToLower(text)
		for _, host := range cdnHosts {
			if strings.Contains(lower, host) {
				t.Errorf("%s: names %s", name, host)
			}
		}
	}
}

func TestURLPatternFindsForeignURLs(t *testing.T) {
	for _, text := range []string{
		`import"https://unpkg.com/graphiql/graphiql.min.js"`,
		`@import url(//fonts.example.test/css?family=Roboto)`,
		`new WebSocket("wss://events.example.test:9000/x")`,
	} {
		if urlPattern.FindString(text) == "" {
			t.Errorf("no URL found in %s", text)
		}
	}
}

func TestLicences(t *testing.T) {
	text := body(t, get(t, Handler("/graphql"), "GET", AssetPrefix+LicensesFile))
	for _, want := range []string{"graphiql@4.1.2 (MIT)", "@graphiql/react@", "react@", "react-dom@", "codemirror@", "graphql@", "Permission is hereby granted"} {
		if !strings.Contains(text, want) {
			t.Errorf("licences lack %q", want)
		}
	}
}

func FuzzHandlerPath(f *testing.F) {
	for _, seed := range []string{"/", "/graphiql/", "/graphiql/../graphiql.go", "/graphiql/%00", "//", "/graphiql/manifest.json"} {
		f.Add(seed)
	}
	h := Handler("/graphql")
	f.Fuzz(func(t *testing.T, p string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET %q: %d", p, rec.Code)
		}
		if rec.Code == 200 && p != "/" && !strings.HasPrefix(p, AssetPrefix) {
			t.Fatalf("GET %q served outside the page and its assets", p)
		}
	})
}
