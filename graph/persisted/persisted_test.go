package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/graph/errcode"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func pq(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func newAPQ(t *testing.T) *Queries {
	t.Helper()
	store, err := cache.NewMemory[string]("test", cache.Config{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	q, err := New(Config{}, store)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestAutomatic(t *testing.T) {
	ctx := context.Background()
	q := newAPQ(t)
	const query = "{ topProducts { upc } }"

	// Unknown hash: not found, the client will send the query.
	p := &graphql.RawParams{Extensions: pq(sha(query))}
	if err := q.Resolve(ctx, p, ""); err == nil || errcode.Code(err) != errcode.PersistedNotFound {
		t.Fatalf("unknown hash: %v, want PERSISTED_QUERY_NOT_FOUND", err)
	}
	// A wrong hash is refused and not stored.
	bad := &graphql.RawParams{Query: query, Extensions: pq(sha("{ other }"))}
	if err := q.Resolve(ctx, bad, ""); err == nil || errcode.Code(err) != errcode.BadUserInput {
		t.Fatalf("hash mismatch: %v, want BAD_USER_INPUT", err)
	}
	if err := q.Resolve(ctx, &graphql.RawParams{Extensions: pq(sha("{ other }"))}, ""); errcode.Code(err) != errcode.PersistedNotFound {
		t.Fatalf("a mismatched registration was stored: %v", err)
	}
	// Query and hash: registered.
	if err := q.Resolve(ctx, &graphql.RawParams{Query: query, Extensions: pq(sha(query))}, ""); err != nil {
		t.Fatalf("register: %v", err)
	}
	// Hash alone now resolves, by extensions or by documentId.
	p = &graphql.RawParams{Extensions: pq(sha(query))}
	if err := q.Resolve(ctx, p, ""); err != nil || p.Query != query {
		t.Fatalf("hit: %v, query %q", err, p.Query)
	}
	p = &graphql.RawParams{}
	if err := q.Resolve(ctx, p, sha(query)); err != nil || p.Query != query {
		t.Fatalf("documentId hit: %v, query %q", err, p.Query)
	}
	// A plain query is untouched.
	p = &graphql.RawParams{Query: "{ __typename }"}
	if err := q.Resolve(ctx, p, ""); err != nil || p.Query != "{ __typename }" {
		t.Fatalf("plain query: %v", err)
	}
	// Malformed extensions.
	for _, ext := range []map[string]any{
		{"persistedQuery": "x"},
		{"persistedQuery": map[string]any{"version": 1}},
		{"persistedQuery": map[string]any{"version": 2, "sha256Hash": "ab"}},
	} {
		if err := q.Resolve(ctx, &graphql.RawParams{Extensions: ext}, ""); err == nil {
			t.Errorf("extensions %v accepted", ext)
		}
	}
}

func TestAutomaticOff(t *testing.T) {
	q, err := New(Config{Automatic: new(bool)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gerr := q.Resolve(context.Background(), &graphql.RawParams{Extensions: pq(sha("{ a }"))}, "")
	if gerr == nil || errcode.Code(gerr) != errcode.PersistedNotSupported {
		t.Errorf("APQ off: %v, want PERSISTED_QUERY_NOT_SUPPORTED", gerr)
	}
}

const (
	listed   = "query Top { topProducts { upc } }"
	unlisted = "query Other { topProducts { name } }"
)

func TestTrustedDocuments(t *testing.T) {
	manifests := map[string]string{
		"apollo": `{"format":"apollo-persisted-query-manifest","version":1,"operations":[
			{"id":"` + sha(listed) + `","body":"` + listed + `","name":"Top","type":"query"}]}`,
		"plain map": `{"` + sha(listed) + `":"` + listed + `"}`,
	}
	for name, raw := range manifests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "manifest.json")
			if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
				t.Fatal(err)
			}
			store, err := cache.NewMemory[string]("test", cache.Config{Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			q, err := New(Config{Manifest: path}, store)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			tests := []struct {
				name     string
				p        graphql.RawParams
				docID    string
				wantCode string // "" = accepted
			}{
				{name: "by id", p: graphql.RawParams{Extensions: pq(sha(listed))}},
				{name: "by documentId", docID: sha(listed)},
				{name: "exact document", p: graphql.RawParams{Query: listed}},
				{name: "unlisted document", p: graphql.RawParams{Query: unlisted}, wantCode: errcode.PersistedNotInList},
				{name: "listed document with spaces changed", p: graphql.RawParams{Query: listed + " "}, wantCode: errcode.PersistedNotInList},
				{name: "unknown id", p: graphql.RawParams{Extensions: pq(sha(unlisted))}, wantCode: errcode.PersistedNotFound},
				{name: "APQ registration refused", p: graphql.RawParams{Query: unlisted, Extensions: pq(sha(unlisted))}, wantCode: errcode.PersistedNotFound},
				{name: "id with another document", p: graphql.RawParams{Query: unlisted, Extensions: pq(sha(listed))}, wantCode: errcode.BadUserInput},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					p := tt.p
					err := q.Resolve(ctx, &p, tt.docID)
					if tt.wantCode == "" {
						if err != nil || p.Query != listed {
							t.Errorf("refused (%v) or query %q", err, p.Query)
						}
						return
					}
					if err == nil || errcode.Code(err) != tt.wantCode {
						t.Errorf("got %v, want %s", err, tt.wantCode)
					}
				})
			}
		})
	}
}

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name, raw, wantErr string
		wantLen            int
	}{
		{name: "apollo", raw: `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a","body":"{ a }","name":"A","type":"query"},{"id":"b","body":"{ b }"}]}`, wantLen: 2},
		{name: "map", raw: `{"a":"{ a }","b":"{ b }","c":"{ c }"}`, wantLen: 3},
		{name: "not JSON", raw: `[`, wantErr: "not a JSON object"},
		{name: "array", raw: `[]`, wantErr: "not a JSON object"},
		{name: "other format", raw: `{"format":"x","version":1,"operations":[]}`, wantErr: "want apollo-persisted-query-manifest version 1"},
		{name: "empty", raw: `{}`, wantErr: "lists no operation"},
		{name: "value not a string", raw: `{"a":1}`, wantErr: "the value must be the document's text"},
		{name: "empty body", raw: `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a","body":""}]}`, wantErr: "operations[0]: an operation needs an id and a body"},
		{name: "id twice", raw: `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a","body":"{ a }"},{"id":"a","body":"{ b }"}]}`,
			wantErr: `id "a" names two different documents`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tt.raw))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || m.Len() != tt.wantLen {
				t.Errorf("ParseManifest: %v, len %d, want %d", err, m.Len(), tt.wantLen)
			}
		})
	}
}

func TestLoadManifestMissing(t *testing.T) {
	if _, err := New(Config{Manifest: "/nonexistent/manifest.json"}, nil); err == nil ||
		!strings.Contains(err.Error(), "no such file") {
		t.Errorf("New with a missing manifest: %v", err)
	}
}

// A query found under a hash that is not its own (a shared store written by someone else) is not run:
// the client is told to send the query again, and the wrong entry is dropped.
func TestStoredQueryIsCheckedAgainstItsHash(t *testing.T) {
	ctx := context.Background()
	store, err := cache.NewMemory[string]("test", cache.Config{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	q, err := New(Config{}, store)
	if err != nil {
		t.Fatal(err)
	}
	const want = "{ topProducts { upc } }"
	store.Add(ctx, sha(want), "mutation { placeOrder(input: {items: []}) { order { id } } }")
	p := &graphql.RawParams{Extensions: pq(sha(want))}
	if err := q.Resolve(ctx, p, ""); errcode.Code(err) != errcode.PersistedNotFound || p.Query != "" {
		t.Fatalf("swapped entry: err %v, query %q; want PERSISTED_QUERY_NOT_FOUND and no query", err, p.Query)
	}
	if _, ok := store.Get(ctx, sha(want)); ok {
		t.Error("the swapped entry is still stored")
	}
	if err := q.Resolve(ctx, &graphql.RawParams{Query: want, Extensions: pq(sha(want))}, ""); err != nil {
		t.Fatalf("registering again: %v", err)
	}
	p = &graphql.RawParams{Extensions: pq(sha(want))}
	if err := q.Resolve(ctx, p, ""); err != nil || p.Query != want {
		t.Fatalf("after registering again: err %v, query %q", err, p.Query)
	}
}
