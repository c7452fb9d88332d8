package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReferenceQuery measures the reference query end to end over loopback HTTP against the real
// sample services (default data set): gateway parse (cached), execution, batching, upstream calls and
// encoding. Compare two commits with benchstat.
func BenchmarkReferenceQuery(b *testing.B) {
	e := newEnv(b)
	q, err := os.ReadFile(filepath.Join("testdata", "reference.graphql"))
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"query": string(q)})
	client := e.server.Client()
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for b.Loop() {
		resp, err := client.Post(e.server.URL+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		size = int(n)
	}
	b.ReportMetric(float64(size), "resp-bytes")
}
