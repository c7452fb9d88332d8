package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserTimeout bounds the whole browser session: Chromium's start, GraphiQL's load, two queries. It
// is a limit against a hung browser, not a measure of speed.
const browserTimeout = 2 * time.Minute

// findChromium returns the path of a Chromium or Chrome binary, "" when there is none.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// seenRequest is one request that reached the gateway.
type seenRequest struct {
	Method, Path, ContentType, Authorization string
	Status                                   int
	Response                                 string // the start of a GraphQL response, for failure messages
}

// recorder keeps the status and the start of the body of a response.
type recorder struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if n := 300 - len(r.head); n > 0 {
		r.head = append(r.head, b[:min(n, len(b))]...)
	}
	return r.ResponseWriter.Write(b)
}

// requestLog records every request that reaches the gateway's handler, before the gateway sees it.
type requestLog struct {
	mu   sync.Mutex
	reqs []seenRequest
}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		seen := seenRequest{
			Method: r.Method, Path: r.URL.Path, Status: rec.status,
			ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization"),
		}
		if r.URL.Path == "/graphql" {
			seen.Response = string(rec.head)
		}
		l.mu.Lock()
		l.reqs = append(l.reqs, seen)
		l.mu.Unlock()
	})
}

func (l *requestLog) all() []seenRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]seenRequest(nil), l.reqs...)
}

// browserEvents collects what the page did: the URLs it requested and the errors it logged.
type browserEvents struct {
	mu       sync.Mutex
	requests []string
	errors   []string
}

func (b *browserEvents) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	case *log.EventEntryAdded:
		// Content-Security-Policy violations and failed loads arrive here.
		if ev.Entry.Level == log.EntryLevelError || strings.Contains(ev.Entry.Text, "Content Security Policy") {
			b.errors = append(b.errors, fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		b.errors = append(b.errors, "exception: "+text)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.errors = append(b.errors, "console.error: "+strings.Join(args, " "))
		}
	}
}

func (b *browserEvents) snapshot() (requests, errors []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...), append([]string(nil), b.errors...)
}

// newBrowser starts a headless Chromium with a fresh profile and returns a tab's context. The browser
// stops, and its profile is removed, when the test ends.
func newBrowser(t *testing.T, chromium string) (context.Context, *browserEvents) {
	t.Helper()
	profile, err := os.MkdirTemp("", "trellis-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox, // Chromium refuses its sandbox as root, and CI runs as root.
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		// Chromium's helpers may still write to the profile for a moment after the browser exits.
		for i := 0; i < 50 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	events := &browserEvents{}
	// Listen starts the browser and opens the tab; its context must be the tab's, without a deadline.
	if err := chromedp.Listen(tabCtx, events.listen); err != nil {
		t.Fatalf("start chromium (%s): %v", chromium, err)
	}
	return tabCtx, events
}

// editorJS returns a JavaScript expression for the CodeMirror instance inside the element sel.
func editorJS(sel string) string {
	return `document.querySelector(` + strconv.Quote(sel+" .CodeMirror") + `).CodeMirror`
}

// TestGraphiQLInBrowser opens GraphiQL in headless Chromium against a gateway over the sample services,
// runs a query and reads its result in the result pane, sends a header from the headers editor, and
// checks that the page loaded nothing from another origin and broke none of its CSP.
func TestGraphiQLInBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed (make test installs it as root via scripts/ensure-chromium.sh): skipping the GraphiQL browser test")
	}
	e := newEnv(t)
	seen := &requestLog{}
	srv := httptest.NewServer(seen.wrap(e.gateway.Handler()))
	t.Cleanup(srv.Close)
	origin, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	tab, events := newBrowser(t, chromium)
	ctx, cancel := context.WithTimeout(tab, browserTimeout)
	defer cancel()

	user := e.index.Set.Users[0]
	// Anonymous, as GraphiQL's default query is: GraphiQL takes a new operation name from the editor
	// only 100 ms after the last keystroke, and a run before that would send the old name.
	query := `{ user(id: "` + user.ID + `") { id name } }`
	const queryEditor, responsePane = ".graphiql-query-editor", ".graphiql-response"
	// A valid token: an invalid one is answered 401, which the browser logs as a console error at a
	// moment of its choosing, racing the check of its console below.
	authorization := "Bearer " + token(t, user.ID)

	// Open GraphiQL, set the query, run it with the run button, read the result pane.
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(queryEditor+" .CodeMirror")),
		// Opening the settings dialog exercises the style elements GraphiQL's dialogs add, under the CSP.
		chromedp.Click(chromedp.CSS(`button[aria-label="Open settings dialog"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-dialog`)),
		chromedp.KeyEvent("\x1b"), // Escape closes it
		chromedp.WaitNotPresent(chromedp.CSS(`.graphiql-dialog`)),
	)
	if err != nil {
		t.Fatalf("open GraphiQL: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](editorJS(queryEditor)+`.setValue(`+strconv.Quote(query)+`)`)); err != nil {
		t.Fatalf("set the query: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
		t.Fatalf("run the query: %v", err)
	}
	result, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const v = `+editorJS(responsePane)+`.getValue(); return v.includes(`+strconv.Quote(user.Name)+`) && v; })()`,
		chromedp.WithPollingTimeout(browserTimeout)))
	if err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](editorJS(responsePane)+`.getValue()`))
		_, errs := events.snapshot()
		t.Fatalf("the result pane never showed %q: %v; it shows %q\nbrowser errors: %q\ngateway saw: %+v",
			user.Name, err, got, errs, seen.all())
	}
	if !strings.Contains(result, `"id": "`+globalID("User", user.ID)+`"`) {
		t.Errorf("result pane: %s, want the user %s", result, user.ID)
	}

	// Set Authorization in the headers editor and run again: the header reaches the gateway.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[data-name="headers"]`)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")),
		chromedp.Evaluate[chromedp.Void](editorJS(".graphiql-editor-tool .graphiql-editor:not(.hidden)")+
			`.setValue(`+strconv.Quote(`{"Authorization": "`+authorization+`"}`)+`)`),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
	)
	if err != nil {
		t.Fatalf("set the headers and run again: %v", err)
	}
	for !carried(seen.all(), authorization) {
		select {
		case <-ctx.Done():
			t.Fatalf("no POST /graphql carried Authorization %q; the gateway saw %+v", authorization, seen.all())
		case <-time.After(50 * time.Millisecond):
		}
	}

	// Every GraphQL request was a POST of application/json to the page's own /graphql.
	var graphqlPosts int
	for _, r := range seen.all() {
		if r.Path != "/graphql" {
			continue
		}
		if r.Method != http.MethodPost || !strings.HasPrefix(r.ContentType, "application/json") {
			t.Errorf("GraphiQL sent %s /graphql with Content-Type %q, want POST application/json", r.Method, r.ContentType)
		}
		graphqlPosts++
	}
	if graphqlPosts < 3 { // introspection, the query, the query with the header
		t.Errorf("the gateway saw %d GraphQL requests, want at least 3", graphqlPosts)
	}

	requests, errs := events.snapshot()
	for _, raw := range requests {
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("page requested an unparsable URL %q", raw)
			continue
		}
		if u.Scheme == "data" || u.Scheme == "blob" {
			continue // inlined in the bundle (fonts, icons)
		}
		if u.Scheme != origin.Scheme || u.Host != origin.Host {
			t.Errorf("page requested %s, which is not the gateway (%s)", raw, srv.URL)
		}
	}
	if len(requests) < 3 {
		t.Errorf("saw %d requests of the page, want the page, its script and its style at least: %v", len(requests), requests)
	}
	for _, msg := range errs {
		t.Errorf("browser: %s", msg)
	}
}

// carried reports whether a POST /graphql arrived with Authorization token.
func carried(reqs []seenRequest, token string) bool {
	for _, r := range reqs {
		if r.Method == http.MethodPost && r.Path == "/graphql" && r.Authorization == token {
			return true
		}
	}
	return false
}
