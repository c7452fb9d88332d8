package schemacheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	_ "github.com/vektah/gqlparser/v2/validator/rules" // the specification's validation rules

	"github.com/trellisgw/trellis/graph/persisted"
)

// Document is one client document to check: its source (a file path, or a manifest's path and id)
// and its text.
type Document struct {
	Source string
	Body   string
}

// Invalid is a client document that does not validate against a schema.
type Invalid struct {
	// Source names the document: a .graphql file, or "manifest.json#<id>".
	Source string `json:"source"`
	// Operations are the names of the document's operations ("" for an anonymous one).
	Operations []string `json:"operations"`
	// Errors are the validation errors, each with its line and column.
	Errors []string `json:"errors"`
}

// LoadDocuments reads the client documents at path: a trusted-documents manifest (a .json file in
// either format graph/persisted reads), one .graphql/.gql file, or a directory searched recursively for
// .graphql and .gql files (as graphql-codegen and Relay keep them; a file's fragments may be used
// by operations in other files).
func LoadDocuments(path string) ([]Document, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("operations: %w", err)
	}
	if !info.IsDir() && strings.EqualFold(filepath.Ext(path), ".json") {
		m, err := persisted.LoadManifest(path)
		if err != nil {
			return nil, fmt.Errorf("operations: %w", err)
		}
		var docs []Document
		for id, body := range m.Documents() {
			docs = append(docs, Document{Source: path + "#" + id, Body: body})
		}
		return docs, nil
	}
	var docs []Document
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(p)); ext != ".graphql" && ext != ".gql" && p != path {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		docs = append(docs, Document{Source: p, Body: string(b)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("operations: %w", err)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("operations: no .graphql or .gql file in %s", path)
	}
	return docs, nil
}

// Operations validates every document that holds an operation against schema, with the
// specification's rules (as the gateway validates a request), and returns those that fail, in source
// order. A document's fragment spreads may name fragments defined in any of docs (file layouts keep
// fragments apart); a manifest's documents are self-contained, as the gateway runs them. A document
// that does not parse is reported as invalid; documents with fragments only are checked through the
// operations that use them.
func Operations(schema *ast.Schema, docs []Document) []Invalid {
	parsed := make([]*ast.QueryDocument, len(docs))
	fragments := map[string]*ast.FragmentDefinition{}
	var out []Invalid
	for i, d := range docs {
		doc, err := parser.ParseQuery(&ast.Source{Name: d.Source, Input: d.Body})
		if err != nil {
			out = append(out, Invalid{Source: d.Source, Errors: messages(err)})
			continue
		}
		parsed[i] = doc
		for _, f := range doc.Fragments {
			if _, dup := fragments[f.Name]; !dup {
				fragments[f.Name] = f
			}
		}
	}
	for i, doc := range parsed {
		if doc == nil || len(doc.Operations) == 0 {
			continue
		}
		full := &ast.QueryDocument{Operations: doc.Operations, Fragments: withUsedFragments(doc, fragments)}
		if errs := validator.Validate(schema, full); len(errs) > 0 {
			names := make([]string, len(doc.Operations))
			for j, op := range doc.Operations {
				names[j] = op.Name
			}
			out = append(out, Invalid{Source: docs[i].Source, Operations: names, Errors: messages(errs)})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Source < out[b].Source })
	return out
}

// withUsedFragments returns doc's own fragments plus those of the pool its selections use, directly
// or through other fragments.
func withUsedFragments(doc *ast.QueryDocument, pool map[string]*ast.FragmentDefinition) ast.FragmentDefinitionList {
	list := append(ast.FragmentDefinitionList(nil), doc.Fragments...)
	have := map[string]bool{}
	for _, f := range doc.Fragments {
		have[f.Name] = true
	}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if f, ok := pool[s.Name]; ok && !have[s.Name] {
					have[s.Name] = true
					list = append(list, f)
					walk(f.SelectionSet)
				}
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
	return list
}

func messages(err error) []string {
	var list gqlerror.List
	if errors.As(err, &list) {
		out := make([]string, len(list))
		for i, e := range list {
			out[i] = e.Error()
		}
		return out
	}
	return []string{err.Error()}
}
