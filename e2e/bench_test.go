package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/trellisgw/trellis/gateway"
)

// BenchmarkReferenceQuery measures the reference query end to end over loopback HTTP against the real
// sample services (default data set): gateway parse (cached), execution, batching, upstream calls and
// encoding. Compare two commits with benchstat. The cached variant has the entity cache on, warm after
// the first iteration: every look-up is a hit.
func BenchmarkReferenceQuery(b *testing.B) {
	b.Run("uncached", func(b *testing.B) { benchReference(b) })
	b.Run("cached", func(b *testing.B) { benchReference(b, cached) })
}

func benchReference(b *testing.B, tweak ...func(*gateway.Config)) {
	e := newEnv(b, tweak...)
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
