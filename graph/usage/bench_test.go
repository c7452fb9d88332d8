package usage

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// BenchmarkPerRequest is the whole per-request cost of usage accounting for a cached document: the
// client headers read into the context, and the extension counting the operation.
func BenchmarkPerRequest(b *testing.B) {
	u := New(Config{FlushInterval: 50_000_000_000, Period: 3_600_000_000_000}, testSchema)
	b.Cleanup(func() { _ = u.Close() })
	doc := query(b, `query Friends { users(first: 5) { id fullName friends(first: 3) { id fullName friends { id } } } user(id: "1") { id } }`)
	ext := u.Extension().(graphql.OperationContextMutator)
	rc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]} // the executor makes one per request anyway
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("apollographql-client-name", "bench")
	req.Header.Set("apollographql-client-version", "1.0.0")
	b.ReportAllocs()
	for b.Loop() {
		_ = ext.MutateOperationContext(u.WithApp(req.Context(), nil, req), rc)
	}
}
