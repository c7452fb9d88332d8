package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
)

// testData is the data set the tests run the sample services with: small, and not the default, so
// that a gateway answering from somewhere else would be caught.
var testData = data.Config{Seed: 7, Users: 10, Products: 6, ReviewsPerUser: 2, OrdersPerUser: 1}

// crossQuery reaches products, inventory, reviews and accounts.
const crossQuery = `{ topProducts(first: 2) { name inStock reviews(first: 1) { author { name } } } }`

// wantCrossQuery derives crossQuery's data from the data set alone.
func wantCrossQuery(t *testing.T) map[string]any {
	t.Helper()
	ix := data.NewIndex(data.Generate(testData))
	var top []any
	for _, upc := range ix.Set.Top[:2] {
		p, ok := ix.Product(upc)
		s, ok2 := ix.Stock(upc)
		if !ok || !ok2 {
			t.Fatalf("data set lacks product or stock %s", upc)
		}
		reviews := []any{}
		if rs := ix.ReviewsByProduct(upc); len(rs) > 0 {
			u, _ := ix.User(rs[0].AuthorID)
			reviews = append(reviews, map[string]any{"author": map[string]any{"name": u.Name}})
		}
		top = append(top, map[string]any{"name": p.Name, "inStock": s.InStock, "reviews": reviews})
	}
	return map[string]any{"topProducts": top}
}

// writeConfig writes a gateway config over the services at addrs (per service, as demo-services
// prints them) that listens on a random port, and returns its path.
func writeConfig(t *testing.T, addrs map[string][]string) string {
	t.Helper()
	first := func(svc string) string {
		if len(addrs[svc]) == 0 {
			t.Fatalf("no address for %s in %v", svc, addrs)
		}
		return addrs[svc][0]
	}
	cfg := fmt.Sprintf(`server:
  addr: 127.0.0.1:0
  admin_addr: 127.0.0.1:0
  shutdown_timeout: 20s
upstreams:
  rest:
    accounts: {url: "http://%s"}
    products: {url: "http://%s"}
    reviews: {url: "http://%s"}
  grpc:
    inventory: {target: "%s"}
    orders: {target: "%s"}
log:
  level: debug
`, first(demo.Accounts), first(demo.Products), first(demo.Reviews), first(demo.Inventory), first(demo.Orders))
	return writeFile(t, "trellis.yaml", cfg)
}

// writeFile writes content to a new file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newHTTPClient returns a client that keeps no idle connections, so that goleak sees none.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}
}

// gqlResponse is a GraphQL response.
type gqlResponse struct {
	Data   map[string]any   `json:"data"`
	Errors []map[string]any `json:"errors"`
}

// postQuery posts query to the gateway at base (http://host:port) and decodes the answer.
func postQuery(t *testing.T, hc *http.Client, base, query string) gqlResponse {
	t.Helper()
	out, err := tryQuery(hc, base, query)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tryQuery is postQuery for goroutines other than the test's.
func tryQuery(hc *http.Client, base, query string) (gqlResponse, error) {
	var out gqlResponse
	body, err := json.Marshal(map[string]string{"query": query})
	if err != nil {
		return out, err
	}
	resp, err := hc.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return out, fmt.Errorf("POST /graphql: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return out, fmt.Errorf("POST /graphql: read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("POST /graphql = %d: %s", resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("POST /graphql: %w: %s", err, raw)
	}
	return out, nil
}

// checkCrossQuery posts crossQuery and compares its answer with the data set.
func checkCrossQuery(t *testing.T, hc *http.Client, base string) {
	t.Helper()
	got := postQuery(t, hc, base, crossQuery)
	if len(got.Errors) != 0 {
		t.Errorf("errors: %v", got.Errors)
	}
	if diff := cmp.Diff(got.Data, wantCrossQuery(t)); diff != "" {
		t.Errorf("data (-got +want):\n%s", diff)
	}
}

// getStatus returns the status code of GET base+path.
func getStatus(t *testing.T, hc *http.Client, base, path string) int {
	t.Helper()
	resp, err := hc.Get(base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// eventually calls cond until it is true or timeout passes. It waits for a state to be reached (a
// reconnect, a request in flight), never measures speed.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listening matches the line the gateway prints once it serves.
var listening = regexp.MustCompile(`^Trellis gateway listening on (http://127\.0\.0\.1:\d+)/graphql$`)

// adminListening matches the line the gateway prints once its admin surface serves.
var adminListening = regexp.MustCompile(`^Trellis admin listening on (http://127\.0\.0\.1:\d+)$`)

// lineWriter hands each complete line written to it to lines (dropping lines nobody reads).
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 16)} }

// Write implements io.Writer.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.lines <- string(w.buf[:i]):
		default:
		}
		w.buf = w.buf[i+1:]
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkJSONLines fails t unless every line of s is a JSON object.
func checkJSONLines(t *testing.T, s string) {
	t.Helper()
	for line := range strings.Lines(s) {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

// load posts a small query to one gateway from several goroutines until finish, and counts the
// requests served (200, no errors) and failed (anything else), keeping the first failure.
type load struct {
	served, failed atomic.Int64
	firstErr       atomic.Value
	stop           chan struct{}
	wg             sync.WaitGroup
}

// startLoad starts workers goroutines posting to url's /graphql with hc.
func startLoad(hc *http.Client, url string, workers int) *load {
	l := &load{stop: make(chan struct{})}
	body := []byte(`{"query":"{ topProducts(first: 2) { upc inStock } }"}`)
	for range workers {
		l.wg.Go(func() {
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				if err := postOnce(hc, url, body); err != nil {
					l.failed.Add(1)
					l.firstErr.CompareAndSwap(nil, err)
					continue
				}
				l.served.Add(1)
			}
		})
	}
	return l
}

// postOnce posts body and fails unless the answer is 200 without errors.
func postOnce(hc *http.Client, url string, body []byte) error {
	resp, err := hc.Post(url+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || out["errors"] != nil {
		return fmt.Errorf("status %d: %v", resp.StatusCode, out["errors"])
	}
	return nil
}

// finish stops the load and waits for its goroutines.
func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

// check fails t when a request failed or too few were served.
func (l *load) check(t *testing.T, during string) {
	t.Helper()
	if n := l.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed %s; first: %v", n, n+l.served.Load(), during, l.firstErr.Load())
	}
	if l.served.Load() < 10 {
		t.Errorf("only %d requests served %s", l.served.Load(), during)
	}
}
