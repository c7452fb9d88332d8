package rest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/upstreams/entitycache"
	"github.com/trellisgw/trellis/upstreams/rest"
)

// validatingServer is a loopback batch look-up (GET /users?id=…) that answers with a strong ETag
// computed from its body and a Last-Modified, honours If-None-Match and If-Modified-Since with a real
// 304 (net/http's ServeContent), and counts its 200s and 304s.
type validatingServer struct {
	mu       sync.Mutex
	names    map[string]string
	modified time.Time
	status   map[int]int
	queries  []string
	inm, ims []string
}

func (s *validatingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type user struct{ ID, Name string }
	body := struct{ Users []user }{Users: []user{}}
	for _, id := range r.URL.Query()["id"] {
		if n, ok := s.names[id]; ok {
			body.Users = append(body.Users, user{id, n})
		}
	}
	b, _ := json.Marshal(body)
	sum := sha256.Sum256(b)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	w.Header().Set("Cache-Control", "max-age=0") // stale at once: every look-up revalidates
	w.Header().Set("Content-Type", "application/json")
	s.queries = append(s.queries, r.URL.RawQuery)
	s.inm = append(s.inm, r.Header.Get("If-None-Match"))
	s.ims = append(s.ims, r.Header.Get("If-Modified-Since"))
	rec := &statusRecorder{ResponseWriter: w}
	http.ServeContent(rec, r, "", s.modified, strings.NewReader(string(b)))
	s.status[rec.status]++
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

func (s *validatingServer) counts() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]int{}
	for k, v := range s.status {
		out[k] = v
	}
	return out
}

func (s *validatingServer) set(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[id] = name
	s.modified = time.Now().Add(-2 * time.Second).Truncate(time.Second).Add(time.Second) // after every earlier date
}

// TestRevalidationAgainstARealServer: stale entries with validators are revalidated by one conditional
// GET: If-None-Match with the batch's ETag for exactly its key set (in its order, whatever order the
// look-up asks), If-Modified-Since for another set; the 304s serve the stored values without a body,
// a change upstream makes the next revalidation a 200 with the new data.
func TestRevalidationAgainstARealServer(t *testing.T) {
	srv := &validatingServer{names: map[string]string{"1": "Ada", "2": "Grace", "3": "Linus"},
		modified: time.Now().Add(-time.Hour).Truncate(time.Second), status: map[int]int{}}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	tr := rest.NewTransport(rest.Config{})
	t.Cleanup(tr.Close)
	c := newClient(t, tr, ts.URL, 2*time.Second)
	kind, err := entitycache.NewKind[string]("users_by_id", "accounts", "GET /users",
		entitycache.Policy{TTL: time.Minute, Scope: entitycache.Public, MaxEntries: 100, MaxBytes: 1 << 20, KeepStale: time.Hour},
		nil, func(s string) int64 { return int64(len(s)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kind.Close() })
	ctx := context.Background()
	load := func(keys ...string) map[string]string {
		t.Helper()
		got, err := kind.Load(ctx, keys, func(ctx context.Context, keys []string) (map[string]string, error) {
			var out struct{ Users []struct{ ID, Name string } }
			if err := c.Get(ctx, "GET /users", "/users", url.Values{"id": keys}, &out); err != nil {
				return nil, err
			}
			m := map[string]string{}
			for _, u := range out.Users {
				m[u.ID] = u.Name
			}
			return m, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	steps := []struct {
		name   string
		keys   []string
		change func()
		want   map[string]string
		status map[int]int // cumulative
		query  string      // what the server was asked
		inm    bool        // If-None-Match sent
		ims    bool        // If-Modified-Since sent (only without If-None-Match: the server would ignore it)
	}{
		{name: "cold", keys: []string{"1", "2"}, want: map[string]string{"1": "Ada", "2": "Grace"},
			status: map[int]int{200: 1}, query: "id=1&id=2"},
		{name: "same batch: 304", keys: []string{"1", "2"}, want: map[string]string{"1": "Ada", "2": "Grace"},
			status: map[int]int{200: 1, 304: 1}, query: "id=1&id=2", inm: true},
		{name: "same set in another order: the batch's URL, 304", keys: []string{"2", "1"},
			want: map[string]string{"1": "Ada", "2": "Grace"}, status: map[int]int{200: 1, 304: 2}, query: "id=1&id=2", inm: true},
		{name: "a subset: If-Modified-Since, 304", keys: []string{"2"}, want: map[string]string{"2": "Grace"},
			status: map[int]int{200: 1, 304: 3}, query: "id=2", ims: true},
		{name: "changed upstream: 200 with the new data", keys: []string{"1", "2"}, change: func() { srv.set("1", "Ada L.") },
			want: map[string]string{"1": "Ada L.", "2": "Grace"}, status: map[int]int{200: 2, 304: 3}, query: "id=1&id=2", inm: true},
		{name: "a miss among them: one plain call", keys: []string{"1", "3"}, want: map[string]string{"1": "Ada L.", "3": "Linus"},
			status: map[int]int{200: 3, 304: 3}, query: "id=1&id=3"},
	}
	for i, st := range steps {
		if st.change != nil {
			st.change()
		}
		if diff := cmp.Diff(st.want, load(st.keys...)); diff != "" {
			t.Fatalf("%s: values (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.status, srv.counts()); diff != "" {
			t.Fatalf("%s: statuses (-want +got):\n%s", st.name, diff)
		}
		srv.mu.Lock()
		q, inm, ims := srv.queries[i], srv.inm[i], srv.ims[i]
		srv.mu.Unlock()
		if q != st.query || (inm != "") != st.inm || (ims != "") != st.ims {
			t.Fatalf("%s: asked %q with If-None-Match %q, If-Modified-Since %q; want %q, %v, %v", st.name, q, inm, ims, st.query, st.inm, st.ims)
		}
	}
}
