package persisted

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"os"
	"slices"
)

// Manifest is a set of trusted documents: each operation's text by its id.
type Manifest struct {
	byID   map[string]string
	bodies map[string]bool
}

// Len returns how many operations the manifest lists.
func (m *Manifest) Len() int { return len(m.byID) }

// apolloManifest is Apollo's persisted-query manifest (format "apollo-persisted-query-manifest",
// version 1), as @apollo/generate-persisted-query-manifest writes it.
type apolloManifest struct {
	Format     string `json:"format"`
	Version    int    `json:"version"`
	Operations []struct {
		ID   string `json:"id"`
		Body string `json:"body"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"operations"`
}

// LoadManifest reads a manifest file (see ParseManifest).
func LoadManifest(path string) (*Manifest, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trusted documents manifest: %w", err)
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("trusted documents manifest %s: %w", path, err)
	}
	return m, nil
}

// ParseManifest parses either Apollo's persisted-query manifest
// ({"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id","body","name","type"}]})
// or a plain {"<id>": "<document>"} object (Relay's persisted queries, graphql-codegen's client
// preset persisted documents). Ids and documents must be non-empty, and an id listed twice must name
// the same document.
func ParseManifest(raw []byte) (*Manifest, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, errors.New("not a JSON object")
	}
	m := &Manifest{byID: map[string]string{}, bodies: map[string]bool{}}
	if _, ok := probe["format"]; ok {
		var am apolloManifest
		if err := json.Unmarshal(raw, &am); err != nil {
			return nil, fmt.Errorf("not an Apollo persisted-query manifest: %w", err)
		}
		if am.Format != "apollo-persisted-query-manifest" || am.Version != 1 {
			return nil, fmt.Errorf("format %q version %d: want apollo-persisted-query-manifest version 1", am.Format, am.Version)
		}
		for i, op := range am.Operations {
			if err := m.add(op.ID, op.Body); err != nil {
				return nil, fmt.Errorf("operations[%d]: %w", i, err)
			}
		}
	} else {
		for id, rawBody := range probe {
			var body string
			if err := json.Unmarshal(rawBody, &body); err != nil {
				return nil, fmt.Errorf("%q: the value must be the document's text", id)
			}
			if err := m.add(id, body); err != nil {
				return nil, fmt.Errorf("%q: %w", id, err)
			}
		}
	}
	if len(m.byID) == 0 {
		return nil, errors.New("lists no operation")
	}
	return m, nil
}

func (m *Manifest) add(id, body string) error {
	if id == "" || body == "" {
		return errors.New("an operation needs an id and a body")
	}
	if prev, ok := m.byID[id]; ok && prev != body {
		return fmt.Errorf("id %q names two different documents", id)
	}
	m.byID[id] = body
	m.bodies[body] = true
	return nil
}

// Documents returns the manifest's documents in id order, for tools that check them
// (`gateway schema check --operations`).
func (m *Manifest) Documents() iter.Seq2[string, string] {
	return func(yield func(id, body string) bool) {
		for _, id := range slices.Sorted(maps.Keys(m.byID)) {
			if !yield(id, m.byID[id]) {
				return
			}
		}
	}
}
