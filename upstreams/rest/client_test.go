package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/upstreams/rest"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// TestGetQueryValuesArriveLiterally checks that query values reach the server as exactly the values
// given, with no extra parameters and on the given path.
func TestGetQueryValuesArriveLiterally(t *testing.T) {
	values := []string{"../admin", "1?x=2", "a&b=c", "#x", "a b", "%2F", "x=y", "+", "日本", "/", "", ";id=7"}
	var (
		mu      sync.Mutex
		gotQ    url.Values
		gotPath string
	)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotQ, gotPath = r.URL.Query(), r.URL.EscapedPath()
		mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{})
	}))
	c := newClient(t, newTransport(t, rest.Config{}), srv.URL, 0)

	if err := c.Get(context.Background(), "GET /users", "/users", url.Values{"id": values}, nil); err != nil {
		t.Fatalf("Get: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if gotPath != "/users" {
		t.Errorf("server saw path %q, want /users", gotPath)
	}
	if diff := cmp.Diff(gotQ, url.Values{"id": values}); diff != "" {
		t.Errorf("server saw query (-got +want):\n%s", diff)
	}
}

func TestBasePathPrefix(t *testing.T) {
	var gotPath atomic.Value
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath.Store(r.URL.EscapedPath())
		writeJSON(w, http.StatusOK, map[string]any{})
	}))
	c := newClient(t, newTransport(t, rest.Config{}), srv.URL+"/api/v1/", 0)
	if err := c.Get(context.Background(), "GET /users", rest.Path("users", "a/b"), nil, nil); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got := gotPath.Load(); got != "/api/v1/users/a%2Fb" {
		t.Errorf("server saw path %q, want /api/v1/users/a%%2Fb", got)
	}
}

func TestPost(t *testing.T) {
	type review struct {
		ID     string `json:"id,omitempty"`
		Body   string `json:"body"`
		Rating int    `json:"rating"`
	}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Accept") != "application/json" {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{})
			return
		}
		var in review
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{})
			return
		}
		in.ID = "r1"
		writeJSON(w, http.StatusCreated, in)
	}))
	c := newClient(t, newTransport(t, rest.Config{}), srv.URL, 0)

	var got review
	if err := c.Post(context.Background(), "POST /reviews", "/reviews", review{Body: "ok", Rating: 4}, &got); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if want := (review{ID: "r1", Body: "ok", Rating: 4}); got != want {
		t.Errorf("Post decoded %+v, want %+v", got, want)
	}

	err := c.Post(context.Background(), "POST /reviews", "/reviews", make(chan int), nil)
	if code := upstreamerr.CodeOf(err); code != upstreamerr.Failed {
		t.Errorf("Post of an unencodable body: code %q (%v), want %q", code, err, upstreamerr.Failed)
	}
}

const sampleBadInput = `{"error":{"code":"INVALID_ARGUMENT","message":"rating must be between 1 and 5","field":"rating"}}`

// TestStatusErrors checks the mapping of upstream error answers to codes, and that the user-facing
// Message never carries the raw body while Error() keeps the details for logs.
func TestStatusErrors(t *testing.T) {
	long := strings.Repeat("SECRET ", 40) // 280 bytes
	tests := []struct {
		name        string
		status      int
		body        string
		wantCode    upstreamerr.Code
		wantMessage string
		wantField   string
	}{
		{"400 sample body", 400, sampleBadInput, upstreamerr.BadInput, "rating must be between 1 and 5", "rating"},
		{"422 sample body", 422, sampleBadInput, upstreamerr.BadInput, "rating must be between 1 and 5", "rating"},
		{"400 long message", 400, `{"error":{"code":"INVALID_ARGUMENT","message":"` + long + `","field":"body"}}`,
			upstreamerr.BadInput, "invalid input", "body"},
		{"400 message with newline", 400, `{"error":{"message":"bad\nSECRET","field":"x"}}`,
			upstreamerr.BadInput, "invalid input", "x"},
		{"400 message with DEL", 400, "{\"error\":{\"message\":\"bad\u007fSECRET\"}}", upstreamerr.BadInput, "invalid input", ""},
		{"400 empty message", 400, `{"error":{"code":"INVALID_ARGUMENT"}}`, upstreamerr.BadInput, "invalid input", ""},
		{"400 non-JSON body", 400, "<html>SECRET stack trace</html>", upstreamerr.BadInput, "invalid input", ""},
		{"404", 404, `{"error":{"code":"NOT_FOUND","message":"user not found SECRET"}}`, upstreamerr.NotFound, "", ""},
		{"429", 429, "slow down SECRET", upstreamerr.Unavailable, "", ""},
		{"502", 502, "<html>bad gateway SECRET</html>", upstreamerr.Unavailable, "", ""},
		{"503", 503, `{"error":{"code":"UNAVAILABLE","message":"SECRET"}}`, upstreamerr.Unavailable, "", ""},
		{"504", 504, "gateway timeout SECRET", upstreamerr.Timeout, "", ""},
		{"500 JSON body", 500, `{"error":{"code":"INTERNAL","message":"db password SECRET"}}`, upstreamerr.Failed, "", ""},
		{"500 non-JSON body", 500, "panic: SECRET", upstreamerr.Failed, "", ""},
		{"501", 501, "SECRET", upstreamerr.Failed, "", ""},
		{"409", 409, `{"error":{"message":"SECRET conflict"}}`, upstreamerr.Failed, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			c := newClient(t, newTransport(t, rest.Config{}), srv.URL, 0)

			var out map[string]any
			err := c.Get(context.Background(), "GET /users", "/users", nil, &out)
			e := asUpstreamErr(t, err)
			got := [3]string{string(e.Code), e.Message, e.Field}
			if want := [3]string{string(tt.wantCode), tt.wantMessage, tt.wantField}; got != want {
				t.Errorf("code, message, field = %q, want %q", got, want)
			}
			if e.Upstream != "accounts" || e.Op != "GET /users" {
				t.Errorf("Upstream, Op = %q, %q; want accounts, GET /users", e.Upstream, e.Op)
			}
			if strings.Contains(e.Message, "SECRET") {
				t.Errorf("Message %q leaks the body", e.Message)
			}
			for _, want := range []string{"accounts", "GET /users", fmt.Sprintf("status %d", tt.status)} {
				if !strings.Contains(e.Error(), want) {
					t.Errorf("Error() = %q, want it to contain %q", e.Error(), want)
				}
			}
			if strings.Contains(tt.body, "SECRET") && !strings.Contains(e.Error(), "SECRET") {
				t.Errorf("Error() = %q lacks the body, which logs need", e.Error())
			}
			if (upstreamerr.CodeOf(err) == upstreamerr.NotFound) != (tt.wantCode == upstreamerr.NotFound) {
				t.Errorf("CodeOf = %q for code %q", upstreamerr.CodeOf(err), e.Code)
			}
		})
	}
}

// TestRedirectNotFollowed checks that a 3xx fails the call instead of following it elsewhere.
func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/users", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin", http.StatusFound)
	})
	mux.HandleFunc("/admin", func(w http.ResponseWriter, _ *http.Request) {
		elsewhere.Add(1)
		writeJSON(w, http.StatusOK, map[string]any{})
	})
	srv := newServer(t, mux)
	c := newClient(t, newTransport(t, rest.Config{}), srv.URL, 0)

	err := c.Get(context.Background(), "GET /users", "/users", nil, nil)
	if code := upstreamerr.CodeOf(err); code != upstreamerr.Failed {
		t.Errorf("code %q (%v), want %q", code, err, upstreamerr.Failed)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target was called %d times, want 0", n)
	}
}

// TestTransportErrors covers failures where the upstream gives no (complete) answer, and bodies the
// client refuses.
func TestTransportErrors(t *testing.T) {
	const maxBytes = 1024
	// hang answers only once the client gives up, so no handler outlives the test.
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	tests := []struct {
		name      string
		handler   http.HandlerFunc // nil: a closed listener
		timeout   time.Duration    // the client's own timeout
		deadline  time.Duration    // the caller's deadline; 0 for none
		nilOut    bool             // decode into nothing
		wantCode  upstreamerr.Code // "" for success
		wantInErr string
	}{
		{name: "connection refused", wantCode: upstreamerr.Unavailable, wantInErr: "refused"},
		{name: "server slower than client timeout", handler: hang, timeout: 50 * time.Millisecond,
			wantCode: upstreamerr.Timeout, wantInErr: "deadline"},
		{name: "caller deadline", handler: hang, deadline: 50 * time.Millisecond,
			wantCode: upstreamerr.Timeout, wantInErr: "deadline"},
		{name: "body stalls after headers", timeout: 50 * time.Millisecond, wantCode: upstreamerr.Timeout,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"users":[`)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}},
		{name: "body over limit", wantCode: upstreamerr.Failed, wantInErr: "over 1024 bytes",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, `{"users":["`+strings.Repeat("x", 2*maxBytes)+`"]}`)
			}},
		{name: "valid JSON padded over limit", wantCode: upstreamerr.Failed, wantInErr: "over 1024 bytes",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, `{"users":[]}`+strings.Repeat(" ", 2*maxBytes))
			}},
		{name: "body over limit, nothing decoded", nilOut: true, wantCode: upstreamerr.Failed, wantInErr: "over 1024 bytes",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, strings.Repeat("x", 2*maxBytes))
			}},
		{name: "body exactly at limit",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				const frame = `{"users":["` + `"]}`
				_, _ = io.WriteString(w, `{"users":["`+strings.Repeat("x", maxBytes-len(frame))+`"]}`)
			}},
		{name: "invalid JSON", wantCode: upstreamerr.Failed, wantInErr: "decode response",
			handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"users":[1,}`) }},
		{name: "empty body", wantCode: upstreamerr.Failed, wantInErr: "decode response",
			handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }},
		{name: "wrong JSON type", wantCode: upstreamerr.Failed, wantInErr: "decode response",
			handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"users":"nope"}`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := closedURL(t)
			if tt.handler != nil {
				base = newServer(t, tt.handler).URL
			}
			c := newClient(t, newTransport(t, rest.Config{MaxResponseBytes: maxBytes}), base, tt.timeout)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			var out struct {
				Users []string `json:"users"`
			}
			var dst any = &out
			if tt.nilOut {
				dst = nil
			}
			err := c.Get(ctx, "GET /users", "/users", nil, dst)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Get: %v, want success", err)
				}
				return
			}
			e := asUpstreamErr(t, err)
			if e.Code != tt.wantCode {
				t.Errorf("code %q (%v), want %q", e.Code, err, tt.wantCode)
			}
			if e.Message != "" {
				t.Errorf("Message = %q, want none for %s", e.Message, e.Code)
			}
			for _, want := range []string{"accounts", "GET /users", tt.wantInErr} {
				if !strings.Contains(e.Error(), want) {
					t.Errorf("Error() = %q, want it to contain %q", e.Error(), want)
				}
			}
			if tt.handler == nil {
				// No answer at all: the cause names the method and the instance, not the whole URL
				// (whose query holds the batch's keys).
				u, _ := url.Parse(base)
				if want := "GET " + u.Host + ": "; e.Err == nil || !strings.HasPrefix(e.Err.Error(), want) {
					t.Errorf("cause %q, want it to begin with %q", e.Err, want)
				}
			}
		})
	}
}

// TestConnectionReuse proves keep-alive pooling and body draining: many sequential calls, successful
// or failed, with and without a decoded body, share one or a few TCP connections.
func TestConnectionReuse(t *testing.T) {
	var newConns atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"users": []string{"1", "2"}, "pad": strings.Repeat("x", 3000)})
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"message": "no"}})
	})
	mux.HandleFunc("/big-error", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, strings.Repeat("e", 10_000))
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newClient(t, newTransport(t, rest.Config{}), srv.URL, 0)

	const calls = 60
	ctx := context.Background()
	for i := range calls {
		var out struct {
			Users []string `json:"users"`
		}
		var err error
		switch i % 4 {
		case 0:
			err = c.Get(ctx, "GET /ok", "/ok", nil, &out)
		case 1:
			err = c.Get(ctx, "GET /ok", "/ok", nil, nil)
		case 2:
			err = c.Get(ctx, "GET /bad", "/bad", nil, &out)
		case 3:
			err = c.Get(ctx, "GET /big-error", "/big-error", nil, &out)
		}
		if wantErr := i%4 >= 2; (err != nil) != wantErr {
			t.Fatalf("call %d: err = %v, want error %v", i, err, wantErr)
		}
	}
	// Sequential calls need one connection; allow a few for the pool's hand-back race.
	if n := newConns.Load(); n < 1 || n > 3 {
		t.Errorf("%d calls opened %d connections, want 1..3", calls, n)
	}
}

func TestNewClient(t *testing.T) {
	tr := newTransport(t, rest.Config{})
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"http://127.0.0.1:4101", false},
		{"https://accounts.internal", false},
		{"http://h/prefix/", false},
		{"", true},
		{"127.0.0.1:4101", true},
		{"localhost", true},
		{"//h:1", true},
		{"ftp://h", true},
		{"unix:///tmp/sock", true},
		{"http://", true},
		{"http://h?x=1", true},
		{"http://h/?", false}, // an empty query is no query
		{"http://h#frag", true},
		{"http://h:port", true},
		{"http://h\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := tr.NewClient("accounts", tt.url, time.Second)
			if c != nil {
				t.Cleanup(c.Close)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewClient(%q) = %v, want error %v", tt.url, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "accounts") {
				t.Errorf("error %q does not name the upstream", err)
			}
			if err == nil && c == nil {
				t.Errorf("NewClient(%q) returned neither a client nor an error", tt.url)
			}
		})
	}
}

func asUpstreamErr(t *testing.T, err error) *upstreamerr.Error {
	t.Helper()
	var e *upstreamerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *upstreamerr.Error", err, err)
	}
	return e
}

// closedURL returns the URL of a loopback port nothing listens on any more.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// TestDecodeLikeEncodingJSON: upstream responses decode as encoding/json decodes them (the client
// uses the JSON v2 implementation for speed): names matched regardless of case, invalid UTF-8 replaced
// by U+FFFD, a repeated name's last value kept, unknown names ignored; trailing data is refused.
func TestDecodeLikeEncodingJSON(t *testing.T) {
	type user struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Rating   int    `json:"rating"`
	}
	tests := []struct {
		name    string
		body    string
		want    user
		wantErr bool
	}{
		{name: "exact names", body: `{"id":"1","username":"ada","rating":5}`, want: user{ID: "1", Username: "ada", Rating: 5}},
		{name: "names in another case", body: `{"ID":"1","UserName":"ada"}`, want: user{ID: "1", Username: "ada"}},
		{name: "invalid UTF-8", body: "{\"id\":\"a\xffb\"}", want: user{ID: "a\uFFFDb"}},
		{name: "repeated name", body: `{"id":"1","id":"2"}`, want: user{ID: "2"}},
		{name: "unknown names", body: `{"id":"1","extra":{"deep":[1,2]}}`, want: user{ID: "1"}},
		{name: "trailing data", body: `{"id":"1"} {"id":"2"}`, wantErr: true},
		{name: "wrong type", body: `{"rating":"5"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tt.body)
			}))
			c := newClient(t, newTransport(t, rest.Config{}), srv.URL, 0)
			var got user
			err := c.Get(context.Background(), "GET /users", "/users", nil, &got)
			if tt.wantErr {
				var ue *upstreamerr.Error
				if !errors.As(err, &ue) || ue.Code != upstreamerr.Failed {
					t.Fatalf("err = %v, want an upstream failure", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got != tt.want {
				t.Errorf("decoded %+v, want %+v", got, tt.want)
			}
		})
	}
}
