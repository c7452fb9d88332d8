package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trellisgw/trellis/gateway"
)

// corsPage is a frontend page that calls the gateway at the origin it is given, the way a single-page
// app on another origin does: a POST of JSON with a bearer token, the CSRF rule's preflight header and
// a W3C traceparent (all three need a preflight), then reads the data and the X-Request-Id header.
// document.title says how it went: "ok <data> <request id>" or "failed <error>".
const corsPage = `<!doctype html><title>loading</title><script>
fetch(%s + "/graphql", {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    "Authorization": %s,
    "GraphQL-Preflight": "1",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  },
  body: JSON.stringify({query: "{ me { id } topProducts(first: 1) { upc } }"}),
}).then(async r => {
  const j = await r.json();
  document.title = "ok " + JSON.stringify(j.data) + " " + r.headers.get("X-Request-Id");
}).catch(e => { document.title = "failed " + e; });
</script>`

// TestCORSFromAnotherOriginInBrowser: headless Chromium on a page of a second origin calls the gateway.
// With server.cors allowing that origin, the preflight is answered and the page reads the answer and
// the exposed X-Request-Id; from an origin not allowed, the browser refuses the answer.
func TestCORSFromAnotherOriginInBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed (make test installs it as root via scripts/ensure-chromium.sh): skipping the CORS browser test")
	}
	var gatewayURL string
	authorization := ""
	page := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, corsPage, strconv.Quote(gatewayURL), strconv.Quote(authorization))
	}
	allowed := httptest.NewServer(http.HandlerFunc(page))
	t.Cleanup(allowed.Close)
	other := httptest.NewServer(http.HandlerFunc(page))
	t.Cleanup(other.Close)

	e := newEnv(t, func(c *gateway.Config) {
		c.Server.CORS.Enabled = true
		c.Server.CORS.AllowedOrigins = []string{allowed.URL}
	})
	user := e.index.Set.Users[0].ID
	authorization = "Bearer " + token(t, user)
	seen := &requestLog{}
	srv := httptest.NewServer(seen.wrap(e.gateway.Handler()))
	t.Cleanup(srv.Close)
	gatewayURL = srv.URL

	tab, events := newBrowser(t, chromium)
	ctx, cancel := context.WithTimeout(tab, browserTimeout)
	defer cancel()
	title := func(pageURL string) string {
		t.Helper()
		err := chromedp.Do(ctx, chromedp.Navigate(pageURL))
		var got string
		if err == nil {
			got, err = chromedp.Run(ctx,
				chromedp.Poll[string](`document.title !== "loading" && document.title`, chromedp.WithPollingTimeout(browserTimeout)))
		}
		if err != nil {
			_, errs := events.snapshot()
			t.Fatalf("page %s: %v; browser errors %q; gateway saw %+v", pageURL, err, errs, seen.all())
		}
		return got
	}

	got := title(allowed.URL + "/")
	want := `ok {"me":{"id":"` + globalID("User", user) + `"},"topProducts":[{"upc":"`
	if !strings.HasPrefix(got, want) || strings.HasSuffix(got, " null") {
		_, errs := events.snapshot()
		t.Fatalf("allowed origin: page says %q, want %q… and an X-Request-Id; browser errors %q; gateway saw %+v", got, want, errs, seen.all())
	}
	var preflights, posts int
	for _, r := range seen.all() {
		switch {
		case r.Method == http.MethodOptions && r.Path == "/graphql":
			preflights++
			if r.Status != http.StatusNoContent {
				t.Errorf("preflight answered %d, want 204", r.Status)
			}
		case r.Method == http.MethodPost && r.Path == "/graphql":
			posts++
			if r.Authorization != authorization {
				t.Errorf("POST carried Authorization %q", r.Authorization)
			}
		}
	}
	if preflights != 1 || posts != 1 {
		t.Errorf("gateway saw %d preflights and %d POSTs, want 1 and 1: %+v", preflights, posts, seen.all())
	}

	if got := title(other.URL + "/"); !strings.HasPrefix(got, "failed ") {
		t.Errorf("origin not allowed: page says %q, want the fetch refused by the browser", got)
	}
	// The browser stopped at the preflight: the operation never reached the gateway.
	posts = 0
	for _, r := range seen.all() {
		if r.Method == http.MethodPost && r.Path == "/graphql" {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("gateway saw %d POSTs, want only the allowed origin's: %+v", posts, seen.all())
	}
}
