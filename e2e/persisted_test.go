package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/trellisgw/trellis/gateway"
)

// apqExtensions is extensions.persistedQuery as Apollo clients send it.
func apqExtensions(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

// TestAPQRoundTrip follows Apollo's automatic persisted query protocol over POST and over GET: the hash
// alone is not found, the query with its hash registers it and runs, the hash alone then runs it.
func TestAPQRoundTrip(t *testing.T) {
	e := newEnv(t)
	const query = `query Top { topProducts(first: 2) { upc name } }`
	hash := sha256Hex(query)
	post := func(body map[string]any) rawRequest {
		return rawRequest{method: http.MethodPost, body: jsonBody(t, body), headers: map[string]string{"Content-Type": "application/json"}}
	}
	get := func(params map[string]any) rawRequest {
		v := url.Values{}
		for k, p := range params {
			if s, ok := p.(string); ok {
				v.Set(k, s)
			} else {
				v.Set(k, string(jsonBody(t, p)))
			}
		}
		return rawRequest{method: http.MethodGet, query: v, headers: map[string]string{"X-Apollo-Operation-Name": "Top"}}
	}
	for _, tc := range []struct {
		name string
		send func(map[string]any) rawRequest
		hash string
		q    string
	}{
		{name: "POST", send: post, hash: hash, q: query},
		// A second query, so that GET registers on its own.
		{name: "GET", send: get, hash: sha256Hex(query + " "), q: query + " "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ext := apqExtensions(tc.hash)
			status, code, raw := e.do(t, tc.send(map[string]any{"extensions": ext}))
			if status != http.StatusOK || code != "PERSISTED_QUERY_NOT_FOUND" {
				t.Fatalf("hash only, unknown: %d %s %s", status, code, raw)
			}
			status, code, raw = e.do(t, tc.send(map[string]any{"query": "{ topProducts { upc } }", "extensions": ext}))
			if status != http.StatusOK || code != "BAD_USER_INPUT" {
				t.Fatalf("hash of another query: %d %s %s", status, code, raw)
			}
			status, code, raw = e.do(t, tc.send(map[string]any{"query": tc.q, "extensions": ext}))
			if status != http.StatusOK || code != "" {
				t.Fatalf("register: %d %s %s", status, code, raw)
			}
			want := raw
			e.cluster.ResetCalls()
			status, code, raw = e.do(t, tc.send(map[string]any{"extensions": ext}))
			if status != http.StatusOK || code != "" || string(raw) != string(want) {
				t.Fatalf("hash only, registered: %d %s %s, want %s", status, code, raw, want)
			}
			if calls := dataCalls(e.cluster.Calls()); len(calls) == 0 {
				t.Error("the persisted query made no upstream call")
			}
		})
	}
}

// TestTrustedDocuments: with a manifest, the listed operation runs by id and by its exact text;
// anything else is refused before any upstream call.
func TestTrustedDocuments(t *testing.T) {
	const listed = `query Top { topProducts(first: 2) { upc name } }`
	id := sha256Hex(listed)
	manifest := map[string]any{
		"format": "apollo-persisted-query-manifest", "version": 1,
		"operations": []map[string]any{{"id": id, "body": listed, "name": "Top", "type": "query"}},
	}
	path := filepath.Join(t.TempDir(), "manifest.json")
	raw, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *gateway.Config) { c.PersistedQueries.Manifest = path })
	hdr := map[string]string{"Content-Type": "application/json", "Accept": "application/graphql-response+json"}
	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantCode   string
	}{
		{"by id (Apollo)", map[string]any{"extensions": apqExtensions(id)}, 200, ""},
		{"by documentId", map[string]any{"documentId": id}, 200, ""},
		{"by exact document", map[string]any{"query": listed}, 200, ""},
		{"another document", map[string]any{"query": `{ topProducts { upc name } }`}, 400, "PERSISTED_QUERY_NOT_IN_LIST"},
		{"unknown id", map[string]any{"extensions": apqExtensions(sha256Hex("{ x }"))}, 400, "PERSISTED_QUERY_NOT_FOUND"},
		{"registration", map[string]any{"query": "{ topProducts { upc } }", "extensions": apqExtensions(sha256Hex("{ topProducts { upc } }"))},
			400, "PERSISTED_QUERY_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.cluster.ResetCalls()
			status, code, raw := e.do(t, rawRequest{method: http.MethodPost, body: jsonBody(t, tt.body), headers: hdr})
			if status != tt.wantStatus || code != tt.wantCode {
				t.Fatalf("%d %q, want %d %q; body %s", status, code, tt.wantStatus, tt.wantCode, raw)
			}
			calls := dataCalls(e.cluster.Calls())
			if tt.wantCode != "" && len(calls) != 0 {
				t.Errorf("a refused operation made upstream calls: %v", calls)
			}
			if tt.wantCode == "" && len(calls) == 0 {
				t.Error("an accepted operation made no upstream call")
			}
		})
	}
}
