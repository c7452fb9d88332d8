package reviews

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/demo/restkit"
	"github.com/trellisgw/trellis/demo/restkit/resttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newIndex(t testing.TB) *data.Index {
	t.Helper()
	return data.NewIndex(data.Generate(data.DefaultConfig()))
}

type reviewsAnswer struct {
	Reviews []data.Review `json:"reviews"`
}

// seeded returns the seeded reviews matching keep, in id order.
func seeded(ix *data.Index, keep func(data.Review) bool) []data.Review {
	out := []data.Review{}
	for _, r := range ix.Set.Reviews {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func byProduct(upcs ...string) func(data.Review) bool {
	return func(r data.Review) bool { return slices.Contains(upcs, r.ProductUPC) }
}

func byAuthor(ids ...string) func(data.Review) bool {
	return func(r data.Review) bool { return slices.Contains(ids, r.AuthorID) }
}

func TestListReviews(t *testing.T) {
	ix := newIndex(t)
	h := NewHandler(NewStore(ix))
	for _, tc := range []struct {
		name   string
		target string
		want   []data.Review
	}{
		{name: "one product", target: "/reviews?product_upc=p1", want: seeded(ix, byProduct("p1"))},
		{name: "products merged in id order", target: "/reviews?product_upc=p9&product_upc=p2&product_upc=p9",
			want: seeded(ix, byProduct("p2", "p9"))},
		{name: "one author", target: "/reviews?author_id=7", want: seeded(ix, byAuthor("7"))},
		{name: "authors", target: "/reviews?author_id=100&author_id=1", want: seeded(ix, byAuthor("1", "100"))},
		{name: "unknown keys", target: "/reviews?author_id=nobody&author_id=..%2Fadmin&author_id=1%3Fx%3D2",
			want: []data.Review{}},
		{name: "unknown product", target: "/reviews?product_upc=%2F", want: []data.Review{}},
		{name: "by id, request order, duplicates collapsed, unknown ids absent", target: "/reviews?id=r9&id=r2&id=nope&id=r9",
			want: []data.Review{ix.Set.Reviews[8], ix.Set.Reviews[1]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.want) == 0 && !strings.Contains(tc.name, "unknown") {
				t.Fatal("fixture selects no reviews: the test would prove nothing")
			}
			w := resttest.Do(t, h, http.MethodGet, tc.target, "")
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), "null") {
				t.Errorf("null in answer: %s", w.Body)
			}
			if diff := cmp.Diff(resttest.Decode[reviewsAnswer](t, w).Reviews, tc.want); diff != "" {
				t.Errorf("reviews (-got +want):\n%s", diff)
			}
		})
	}
}

func TestListReviewsErrors(t *testing.T) {
	h := NewHandler(NewStore(newIndex(t)))
	many := url.Values{}
	for i := range 501 {
		many.Add("author_id", strconv.Itoa(i))
	}
	for _, tc := range []struct {
		name, target, wantField string
	}{
		{name: "neither", target: "/reviews"},
		{name: "neither, other params", target: "/reviews?limit=5"},
		{name: "both", target: "/reviews?product_upc=p1&author_id=1"},
		{name: "id and product", target: "/reviews?id=r1&product_upc=p1"},
		{name: "empty id", target: "/reviews?id=", wantField: "id"},
		{name: "empty upc", target: "/reviews?product_upc=", wantField: "product_upc"},
		{name: "empty author", target: "/reviews?author_id=1&author_id=", wantField: "author_id"},
		{name: "too many", target: "/reviews?" + many.Encode(), wantField: "author_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resttest.CheckError(t, resttest.Do(t, h, http.MethodGet, tc.target, ""),
				http.StatusBadRequest, restkit.CodeInvalidArgument, tc.wantField)
		})
	}
}

func TestAddReview(t *testing.T) {
	ix := newIndex(t)
	store := NewStore(ix)
	h := NewHandler(store)
	n := len(ix.Set.Reviews)

	w := resttest.Do(t, h, http.MethodPost, "/reviews",
		`{"product_upc":"p1","author_id":"7","body":"  Great  ","rating":5}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want := data.Review{ID: "r" + strconv.Itoa(n+1), Body: "Great", Rating: 5, AuthorID: "7", ProductUPC: "p1"}
	if diff := cmp.Diff(resttest.Decode[data.Review](t, w), want); diff != "" {
		t.Fatalf("created (-got +want):\n%s", diff)
	}
	// Visible to later GETs, after the seeded ones, through another replica sharing the store.
	other := NewHandler(store)
	for _, target := range []string{"/reviews?product_upc=p1", "/reviews?author_id=7"} {
		got := resttest.Decode[reviewsAnswer](t, resttest.Do(t, other, http.MethodGet, target, "")).Reviews
		if len(got) < 2 || got[len(got)-1] != want {
			t.Errorf("%s: last of %d reviews is %+v, want the new one", target, len(got), got[len(got)-1])
		}
	}
	w = resttest.Do(t, other, http.MethodPost, "/reviews",
		`{"product_upc":"p2","author_id":"8","body":"ok","rating":1}`,
		"Content-Type", "application/json; charset=utf-8")
	if w.Code != http.StatusCreated || resttest.Decode[data.Review](t, w).ID != "r"+strconv.Itoa(n+2) {
		t.Fatalf("second add: %d %s", w.Code, w.Body)
	}
}

func TestAddReviewErrors(t *testing.T) {
	const valid = `{"product_upc":"p1","author_id":"7","body":"Great","rating":5}`
	with := func(field, value string) string {
		var m map[string]any
		_ = json.Unmarshal([]byte(valid), &m)
		var v any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			panic(err)
		}
		if v == nil {
			delete(m, field)
		} else {
			m[field] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	long := strings.Repeat("é", MaxBodyChars+1)
	for _, tc := range []struct {
		name        string
		body        string
		contentType string
		wantStatus  int
		wantCode    string
		wantField   string
	}{
		{name: "rating 0", body: with("rating", "0"), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "rating"},
		{name: "rating 6", body: with("rating", "6"), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "rating"},
		{name: "rating missing", body: with("rating", "null"), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "rating"},
		{name: "rating float", body: with("rating", "4.5"), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "rating"},
		{name: "rating string", body: with("rating", `"5"`), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "rating"},
		{name: "body blank", body: with("body", `"  \n\t "`), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "body"},
		{name: "body missing", body: with("body", "null"), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "body"},
		{name: "body too long", body: with("body", `"`+long+`"`), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "body"},
		{name: "unknown product", body: with("product_upc", `"p999"`), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "product_upc"},
		{name: "injected product", body: with("product_upc", `"../admin"`), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "product_upc"},
		{name: "missing product", body: with("product_upc", "null"), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "product_upc"},
		{name: "unknown author", body: with("author_id", `"1?x=2"`), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "author_id"},
		{name: "empty author", body: with("author_id", `""`), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "author_id"},
		{name: "author number", body: with("author_id", `7`), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "author_id"},
		{name: "unknown field", body: with("extra", `1`), wantStatus: 400, wantCode: restkit.CodeInvalidArgument, wantField: "extra"},
		{name: "bad json", body: `{"body":`, wantStatus: 400, wantCode: restkit.CodeInvalidArgument},
		{name: "array", body: `[]`, wantStatus: 400, wantCode: restkit.CodeInvalidArgument},
		{name: "two objects", body: valid + valid, wantStatus: 400, wantCode: restkit.CodeInvalidArgument},
		{name: "empty", body: " ", wantStatus: 400, wantCode: restkit.CodeInvalidArgument},
		{name: "no content type", body: valid, contentType: "-", wantStatus: 415, wantCode: restkit.CodeUnsupportedMediaType},
		{name: "form", body: valid, contentType: "application/x-www-form-urlencoded", wantStatus: 415, wantCode: restkit.CodeUnsupportedMediaType},
		{name: "too large", body: with("body", `"`+strings.Repeat("a", MaxRequestBytes)+`"`), wantStatus: 413, wantCode: restkit.CodePayloadTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := NewStore(newIndex(t))
			before := store.Len()
			r := resttest.Request(http.MethodPost, "/reviews", tc.body)
			switch tc.contentType {
			case "":
			case "-":
				r.Header.Del("Content-Type")
			default:
				r.Header.Set("Content-Type", tc.contentType)
			}
			w := resttest.Serve(NewHandler(store), r)
			resttest.CheckError(t, w, tc.wantStatus, tc.wantCode, tc.wantField)
			if strings.Contains(w.Body.String(), "aaaaaaaaaa") || strings.Contains(w.Body.String(), "éééééé") {
				t.Errorf("error echoes the input: %.200s", w.Body)
			}
			if store.Len() != before {
				t.Errorf("invalid input stored a review: %d -> %d", before, store.Len())
			}
		})
	}
}

func TestMethodNotAllowedAndNotFound(t *testing.T) {
	h := NewHandler(NewStore(newIndex(t)))
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		w := resttest.Do(t, h, m, "/reviews", "")
		resttest.CheckError(t, w, http.StatusMethodNotAllowed, restkit.CodeMethodNotAllowed, "")
		if allow := w.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
			t.Errorf("Allow = %q", allow)
		}
	}
	for _, target := range []string{"/reviews/r1", "/reviews/", "/reviews/..%2Fadmin", "/reviews/x/../../healthz", "/users"} {
		resttest.CheckError(t, resttest.Do(t, h, http.MethodGet, target, ""), http.StatusNotFound, restkit.CodeNotFound, "")
	}
}

func TestHealthz(t *testing.T) {
	w := resttest.Do(t, NewHandler(NewStore(newIndex(t))), http.MethodGet, "/healthz", "")
	if got := resttest.Decode[map[string]string](t, w); w.Code != http.StatusOK || got["status"] != "ok" {
		t.Fatalf("healthz: %d %v", w.Code, got)
	}
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	store := NewStore(newIndex(t))
	h := NewHandler(store)
	w := resttest.Do(t, h, http.MethodGet, "/openapi.json", "")
	if w.Code != http.StatusOK {
		t.Fatalf("openapi.json: %d", w.Code)
	}
	rts := routes(&service{store: store})
	resttest.CheckOpenAPI(t, w.Body.Bytes(), rts)
	resttest.CheckServed(t, h, rts)
}

// TestConcurrentAdds posts from many goroutines through two replicas over real connections and
// reads concurrently; every review gets a distinct id and all are visible afterwards.
func TestConcurrentAdds(t *testing.T) {
	ix := newIndex(t)
	store := NewStore(ix)
	replicas := []string{resttest.Server(t, NewHandler(store)), resttest.Server(t, NewHandler(store))}
	const writers, perWriter = 8, 10
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids = map[string]bool{}
	)
	for g := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			base := replicas[g%2]
			for i := range perWriter {
				body := fmt.Sprintf(`{"product_upc":"p%d","author_id":"%d","body":"w%d-%d","rating":%d}`, g+1, g+1, g, i, i%5+1)
				resp, err := http.Post(base+"/reviews", "application/json", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				var got data.Review
				err = json.NewDecoder(resp.Body).Decode(&got)
				_ = resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusCreated {
					t.Errorf("POST: %d %v", resp.StatusCode, err)
					return
				}
				mu.Lock()
				ids[got.ID] = true
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			for range perWriter {
				resp, err := http.Get(replicas[(g+1)%2] + "/reviews?author_id=" + strconv.Itoa(g+1))
				if err != nil {
					t.Error(err)
					return
				}
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET: %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	n := len(ix.Set.Reviews)
	if len(ids) != writers*perWriter || store.Len() != n+writers*perWriter {
		t.Fatalf("%d distinct ids, store holds %d; want %d new", len(ids), store.Len(), writers*perWriter)
	}
	for i := n + 1; i <= n+writers*perWriter; i++ {
		if !ids["r"+strconv.Itoa(i)] {
			t.Errorf("id r%d not handed out", i)
		}
	}
	for g := range writers {
		got := store.ByAuthors([]string{strconv.Itoa(g + 1)})
		var mine []string
		for _, r := range got {
			if strings.HasPrefix(r.Body, fmt.Sprintf("w%d-", g)) {
				mine = append(mine, r.Body)
			}
		}
		want := make([]string, perWriter)
		for i := range want {
			want[i] = fmt.Sprintf("w%d-%d", g, i)
		}
		if diff := cmp.Diff(mine, want); diff != "" {
			t.Errorf("writer %d's reviews, in insertion order (-got +want):\n%s", g, diff)
		}
	}
}

// FuzzListReviews feeds arbitrary query strings to GET /reviews: the answer is always 200 or 400 with
// a well-formed JSON body.
func FuzzListReviews(f *testing.F) {
	for _, s := range []string{"", "product_upc=p1", "author_id=1&author_id=2", "product_upc=p1&author_id=1",
		"author_id=", "product_upc=..%2Fadmin"} {
		f.Add(s)
	}
	h := NewHandler(NewStore(newIndex(f)))
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := resttest.Request(http.MethodGet, "/reviews", "")
		r.URL.RawQuery = rawQuery
		w := resttest.Serve(h, r)
		switch w.Code {
		case http.StatusOK:
			_ = resttest.Decode[reviewsAnswer](t, w)
		case http.StatusBadRequest:
			if e := resttest.Decode[resttest.ErrorBody](t, w).Error; e.Code != restkit.CodeInvalidArgument {
				t.Fatalf("error %+v", e)
			}
		default:
			t.Fatalf("status %d for %q: %s", w.Code, rawQuery, w.Body)
		}
	})
}
