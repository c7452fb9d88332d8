package graphiql

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// gzipped holds the gzip encodings of the bundle's JS and CSS, made on first use: GraphiQL's script is
// about 1.3 MB and compresses to about a third (the CSS, mostly inlined fonts, to two thirds). A handler
// that never serves an asset never pays for it.
type gzipped struct {
	once  sync.Once
	files map[string][]byte
	err   error
}

// get returns the gzip encoding of the asset name (one of names), compressing them all on first use.
func (g *gzipped) get(assets fs.FS, names []string, name string) ([]byte, error) {
	g.once.Do(func() {
		g.files = make(map[string][]byte, len(names))
		for _, n := range names {
			raw, err := fs.ReadFile(assets, n)
			if err != nil {
				g.err = fmt.Errorf("graphiql: read %s: %w", n, err)
				return
			}
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if _, err := zw.Write(raw); err != nil {
				g.err = fmt.Errorf("graphiql: compress %s: %w", n, err)
				return
			}
			if err := zw.Close(); err != nil {
				g.err = fmt.Errorf("graphiql: compress %s: %w", n, err)
				return
			}
			g.files[n] = buf.Bytes()
		}
	})
	if g.err != nil {
		return nil, g.err
	}
	return g.files[name], nil
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip (listed, or "*", without q=0).
func acceptsGzip(r *http.Request) bool {
	for _, header := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(header, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "*" {
				continue
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
						q = f
					}
				}
			}
			if q > 0 {
				return true
			}
		}
	}
	return false
}

// serveGzipped answers the asset name gzip-encoded, with Content-Type ctype. It reports false, having
// written nothing, when the encoding is not available; the caller then serves the plain file.
func (h *handler) serveGzipped(w http.ResponseWriter, r *http.Request, name, ctype string) bool {
	body, err := h.gz.get(h.assets, []string{h.m.JS, h.m.CSS}, name)
	if err != nil || body == nil {
		return false
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Encoding", "gzip")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return true
}
