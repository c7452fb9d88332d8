package schemacheck

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// maxSchemaBytes bounds a schema read from a URL.
const maxSchemaBytes = 16 << 20

// LoadSchema reads a schema from location: an http(s) URL of a running gateway (its
// GET /schema.graphql; a URL whose path is empty, "/" or ends in "/graphql" is mapped to it), a
// .graphql/.graphqls file, or a directory whose .graphql and .graphqls files together are the schema
// (as schema/ is). client makes the request (nil: http.DefaultClient); ctx bounds it.
func LoadSchema(ctx context.Context, location string, client *http.Client) (*ast.Schema, error) {
	var sources []*ast.Source
	if u, err := url.Parse(location); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		src, err := fetchSDL(ctx, u, client)
		if err != nil {
			return nil, err
		}
		sources = append(sources, src)
	} else {
		if sources, err = readSDL(location); err != nil {
			return nil, err
		}
	}
	s, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", location, err)
	}
	return s, nil
}

// schemaURL returns the URL of a gateway's SDL for u: /schema.graphql beside /graphql.
func schemaURL(u *url.URL) *url.URL {
	c := *u
	switch {
	case c.Path == "" || c.Path == "/":
		c.Path = "/schema.graphql"
	case strings.HasSuffix(c.Path, "/graphql"):
		c.Path = strings.TrimSuffix(c.Path, "graphql") + "schema.graphql"
	}
	return &c
}

func fetchSDL(ctx context.Context, u *url.URL, client *http.Client) (*ast.Source, error) {
	if client == nil {
		client = http.DefaultClient
	}
	target := schemaURL(u).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", target, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("schema %s: HTTP %d (is introspection on? GET /schema.graphql needs it)", target, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSchemaBytes+1))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", target, err)
	}
	if len(b) > maxSchemaBytes {
		return nil, fmt.Errorf("schema %s: larger than %d bytes", target, maxSchemaBytes)
	}
	return &ast.Source{Name: target, Input: string(b)}, nil
}

func readSDL(path string) ([]*ast.Source, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	files := []string{path}
	if info.IsDir() {
		files = nil
		for _, pattern := range []string{"*.graphql", "*.graphqls"} {
			m, _ := filepath.Glob(filepath.Join(path, pattern)) // the pattern is valid
			files = append(files, m...)
		}
		sort.Strings(files)
		if len(files) == 0 {
			return nil, fmt.Errorf("schema: no .graphql or .graphqls file in %s", path)
		}
	}
	sources := make([]*ast.Source, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	return sources, nil
}
