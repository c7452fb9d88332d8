package accounts

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

type usersAnswer struct {
	Users []data.User `json:"users"`
	Total *int        `json:"total"`
}

func users(ix *data.Index, ids ...string) []data.User {
	out := []data.User{}
	for _, id := range ids {
		u, _ := ix.User(id)
		out = append(out, u)
	}
	return out
}

func intp(n int) *int { return &n }

func TestListUsers(t *testing.T) {
	ix := newIndex(t)
	h := NewHandler(ix)
	all := ix.Set.Users
	for _, tc := range []struct {
		name   string
		target string
		want   usersAnswer
	}{
		{name: "batch", target: "/users?id=3&id=1", want: usersAnswer{Users: users(ix, "3", "1")}},
		{name: "batch duplicates collapsed", target: "/users?id=2&id=2&id=5&id=2", want: usersAnswer{Users: users(ix, "2", "5")}},
		{name: "batch unknown omitted", target: "/users?id=999&id=4&id=nope", want: usersAnswer{Users: users(ix, "4")}},
		{name: "batch all unknown", target: "/users?id=999", want: usersAnswer{Users: []data.User{}}},
		{name: "batch path injection", target: "/users?id=..%2Fadmin&id=1%3Fx%3D2&id=%2F&id=1", want: usersAnswer{Users: users(ix, "1")}},
		{name: "batch literal query chars", target: "/users?id=1?x=2", want: usersAnswer{Users: []data.User{}}},
		{name: "batch 500 ids", target: "/users?" + manyIDs(500), want: usersAnswer{Users: all}},
		{name: "page default", target: "/users", want: usersAnswer{Users: all[:10], Total: intp(100)}},
		{name: "page limit offset", target: "/users?limit=3&offset=5", want: usersAnswer{Users: all[5:8], Total: intp(100)}},
		{name: "page max limit", target: "/users?limit=100", want: usersAnswer{Users: all, Total: intp(100)}},
		{name: "page tail", target: "/users?limit=10&offset=97", want: usersAnswer{Users: all[97:], Total: intp(100)}},
		{name: "page past end", target: "/users?offset=100", want: usersAnswer{Users: []data.User{}, Total: intp(100)}},
		{name: "unknown params ignored", target: "/users?limit=1&foo=bar", want: usersAnswer{Users: all[:1], Total: intp(100)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := resttest.Do(t, h, http.MethodGet, tc.target, "")
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), `"users":null`) {
				t.Errorf("users encoded as null: %s", w.Body)
			}
			got := resttest.Decode[usersAnswer](t, w)
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("answer (-got +want):\n%s", diff)
			}
		})
	}
}

// manyIDs returns the query "id=1&id=2&…" for ids 1..n of the default data set, wrapping around.
func manyIDs(n int) string {
	q := url.Values{}
	for i := range n {
		q.Add("id", strconv.Itoa(i%100+1))
	}
	return q.Encode()
}

func TestListUsersErrors(t *testing.T) {
	h := NewHandler(newIndex(t))
	for _, tc := range []struct {
		target    string
		wantField string
	}{
		{target: "/users?id=", wantField: "id"},
		{target: "/users?id=1&id=", wantField: "id"},
		{target: "/users?" + manyIDs(501), wantField: "id"},
		{target: "/users?id=1&limit=5", wantField: "id"},
		{target: "/users?id=1&offset=0", wantField: "id"},
		{target: "/users?limit=0", wantField: "limit"},
		{target: "/users?limit=101", wantField: "limit"},
		{target: "/users?limit=ten", wantField: "limit"},
		{target: "/users?limit=", wantField: "limit"},
		{target: "/users?limit=1&limit=2", wantField: "limit"},
		{target: "/users?offset=-1", wantField: "offset"},
		{target: "/users?offset=1e3", wantField: "offset"},
	} {
		t.Run(tc.target[:min(len(tc.target), 40)], func(t *testing.T) {
			w := resttest.Do(t, h, http.MethodGet, tc.target, "")
			resttest.CheckError(t, w, http.StatusBadRequest, restkit.CodeInvalidArgument, tc.wantField)
		})
	}
}

func TestGetUser(t *testing.T) {
	ix := newIndex(t)
	h := NewHandler(ix)
	w := resttest.Do(t, h, http.MethodGet, "/users/42", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if diff := cmp.Diff(resttest.Decode[data.User](t, w), users(ix, "42")[0]); diff != "" {
		t.Errorf("user (-got +want):\n%s", diff)
	}
	for _, target := range []string{
		"/users/0", "/users/101", "/users/nope",
		"/users/..%2Fadmin", "/users/1%3Fx=2", "/users/%2F", "/users/..%2F..%2Fhealthz", "/users/%2E%2E",
		"/users/1/../../healthz", "/users/1/", "/users/", "/users//1", "/admin", "/",
	} {
		t.Run(target, func(t *testing.T) {
			resttest.CheckError(t, resttest.Do(t, h, http.MethodGet, target, ""), http.StatusNotFound, restkit.CodeNotFound, "")
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := NewHandler(newIndex(t))
	for _, tc := range []struct{ method, target string }{
		{http.MethodPost, "/users"},
		{http.MethodDelete, "/users/1"},
		{http.MethodPut, "/users/1"},
		{http.MethodPost, "/healthz"},
		{http.MethodPatch, "/openapi.json"},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			w := resttest.Do(t, h, tc.method, tc.target, "")
			resttest.CheckError(t, w, http.StatusMethodNotAllowed, restkit.CodeMethodNotAllowed, "")
			if !strings.Contains(w.Header().Get("Allow"), "GET") {
				t.Errorf("Allow = %q", w.Header().Get("Allow"))
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	w := resttest.Do(t, NewHandler(newIndex(t)), http.MethodGet, "/healthz", "")
	if got := resttest.Decode[map[string]string](t, w); w.Code != http.StatusOK || got["status"] != "ok" {
		t.Fatalf("healthz: %d %v", w.Code, got)
	}
}

// TestOpenAPIListsEveryRoute checks the served document against the routes the mux registers, and
// that every documented route is really served (answers something other than "no such route").
func TestOpenAPIListsEveryRoute(t *testing.T) {
	h := NewHandler(newIndex(t))
	w := resttest.Do(t, h, http.MethodGet, "/openapi.json", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	rts := routes(&service{ix: newIndex(t)})
	resttest.CheckOpenAPI(t, w.Body.Bytes(), rts)
	resttest.CheckServed(t, h, rts)
}

// FuzzListUsers feeds arbitrary query strings to GET /users: the answer is always 200 or 400 with a
// well-formed JSON body.
func FuzzListUsers(f *testing.F) {
	for _, s := range []string{"", "id=1&id=2", "id=", "limit=5&offset=2", "limit=x", "id=1&limit=1",
		"id=..%2Fadmin", "id=1%3Fx%3D2", "offset=-1", "%zz"} {
		f.Add(s)
	}
	h := NewHandler(newIndex(f))
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := resttest.Request(http.MethodGet, "/users", "")
		r.URL.RawQuery = rawQuery
		w := resttest.Serve(h, r)
		switch w.Code {
		case http.StatusOK:
			got := resttest.Decode[usersAnswer](t, w)
			if len(got.Users) > restkit.MaxKeys {
				t.Fatalf("%d users", len(got.Users))
			}
		case http.StatusBadRequest:
			e := resttest.Decode[resttest.ErrorBody](t, w).Error
			if e.Code != restkit.CodeInvalidArgument || len(e.Message) > 2*restkit.MaxEcho {
				t.Fatalf("error %+v", e)
			}
		default:
			t.Fatalf("status %d for %q: %s", w.Code, rawQuery, w.Body)
		}
	})
}
