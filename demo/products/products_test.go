package products

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

type productsAnswer struct {
	Products []data.Product `json:"products"`
	Total    *int           `json:"total"`
}

func products(ix *data.Index, upcs ...string) []data.Product {
	out := []data.Product{}
	for _, upc := range upcs {
		p, ok := ix.Product(upc)
		if !ok {
			panic("test fixture names unknown product " + upc)
		}
		out = append(out, p)
	}
	return out
}

func intp(n int) *int { return &n }

func manyUPCs(n int) string {
	q := url.Values{}
	for i := range n {
		q.Add("upc", "p"+strconv.Itoa(i%50+1))
	}
	return q.Encode()
}

func TestListAndTop(t *testing.T) {
	ix := newIndex(t)
	h := NewHandler(ix)
	all := ix.Set.Products
	top := ix.Set.Top
	for _, tc := range []struct {
		name   string
		target string
		want   productsAnswer
	}{
		{name: "batch", target: "/products?upc=p3&upc=p1", want: productsAnswer{Products: products(ix, "p3", "p1")}},
		{name: "batch duplicates collapsed", target: "/products?upc=p2&upc=p2&upc=p9", want: productsAnswer{Products: products(ix, "p2", "p9")}},
		{name: "batch unknown omitted", target: "/products?upc=p999&upc=p4&upc=top", want: productsAnswer{Products: products(ix, "p4")}},
		{name: "batch path injection", target: "/products?upc=..%2Fadmin&upc=p1%3Fx%3D2&upc=%2F", want: productsAnswer{Products: []data.Product{}}},
		{name: "batch 500", target: "/products?" + manyUPCs(500), want: productsAnswer{Products: all}},
		{name: "page default", target: "/products", want: productsAnswer{Products: all[:10], Total: intp(50)}},
		{name: "page", target: "/products?limit=4&offset=46", want: productsAnswer{Products: all[46:], Total: intp(50)}},
		{name: "page past end", target: "/products?offset=50", want: productsAnswer{Products: []data.Product{}, Total: intp(50)}},
		{name: "top default", target: "/products/top", want: productsAnswer{Products: products(ix, top[:5]...)}},
		{name: "top 1", target: "/products/top?limit=1", want: productsAnswer{Products: products(ix, top[0])}},
		{name: "top more than ranked", target: "/products/top?limit=100", want: productsAnswer{Products: products(ix, top...)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := resttest.Do(t, h, http.MethodGet, tc.target, "")
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), "null") {
				t.Errorf("null in answer: %s", w.Body)
			}
			if diff := cmp.Diff(resttest.Decode[productsAnswer](t, w), tc.want); diff != "" {
				t.Errorf("answer (-got +want):\n%s", diff)
			}
		})
	}
}

func TestListErrors(t *testing.T) {
	h := NewHandler(newIndex(t))
	for _, tc := range []struct {
		target    string
		wantField string
	}{
		{target: "/products?upc=", wantField: "upc"},
		{target: "/products?" + manyUPCs(501), wantField: "upc"},
		{target: "/products?upc=p1&limit=1", wantField: "upc"},
		{target: "/products?upc=p1&offset=1", wantField: "upc"},
		{target: "/products?limit=0", wantField: "limit"},
		{target: "/products?limit=101", wantField: "limit"},
		{target: "/products?limit=x", wantField: "limit"},
		{target: "/products?offset=-5", wantField: "offset"},
		{target: "/products?offset=", wantField: "offset"},
		{target: "/products/top?limit=0", wantField: "limit"},
		{target: "/products/top?limit=101", wantField: "limit"},
		{target: "/products/top?limit=five", wantField: "limit"},
		{target: "/products/top?limit=1&limit=2", wantField: "limit"},
	} {
		t.Run(tc.target[:min(len(tc.target), 40)], func(t *testing.T) {
			resttest.CheckError(t, resttest.Do(t, h, http.MethodGet, tc.target, ""),
				http.StatusBadRequest, restkit.CodeInvalidArgument, tc.wantField)
		})
	}
}

func TestGetProduct(t *testing.T) {
	ix := newIndex(t)
	h := NewHandler(ix)
	w := resttest.Do(t, h, http.MethodGet, "/products/p7", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if diff := cmp.Diff(resttest.Decode[data.Product](t, w), products(ix, "p7")[0]); diff != "" {
		t.Errorf("product (-got +want):\n%s", diff)
	}
	for _, target := range []string{
		"/products/p0", "/products/p51", "/products/P1", "/products/..%2Fadmin", "/products/p1%3Fx=2",
		"/products/%2F", "/products/..%2Ftop", "/products/p1/../top", "/products/", "/products/p1/", "/nope",
	} {
		t.Run(target, func(t *testing.T) {
			resttest.CheckError(t, resttest.Do(t, h, http.MethodGet, target, ""), http.StatusNotFound, restkit.CodeNotFound, "")
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := NewHandler(newIndex(t))
	for _, tc := range []struct{ method, target string }{
		{http.MethodPost, "/products"},
		{http.MethodPost, "/products/top"},
		{http.MethodDelete, "/products/p1"},
		{http.MethodPut, "/healthz"},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			w := resttest.Do(t, h, tc.method, tc.target, "")
			resttest.CheckError(t, w, http.StatusMethodNotAllowed, restkit.CodeMethodNotAllowed, "")
			if w.Header().Get("Allow") == "" {
				t.Error("no Allow header")
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

func TestOpenAPIListsEveryRoute(t *testing.T) {
	h := NewHandler(newIndex(t))
	w := resttest.Do(t, h, http.MethodGet, "/openapi.json", "")
	if w.Code != http.StatusOK {
		t.Fatalf("openapi.json: %d", w.Code)
	}
	rts := routes(&service{ix: newIndex(t)})
	resttest.CheckOpenAPI(t, w.Body.Bytes(), rts)
	resttest.CheckServed(t, h, rts)
}

// FuzzListProducts feeds arbitrary query strings to GET /products and GET /products/top: the answer
// is always 200 or 400 with a well-formed JSON body.
func FuzzListProducts(f *testing.F) {
	for _, s := range []string{"", "upc=p1&upc=p2", "upc=", "limit=5&offset=2", "limit=x", "upc=p1&limit=1", "limit=101"} {
		f.Add(s)
	}
	h := NewHandler(newIndex(f))
	f.Fuzz(func(t *testing.T, rawQuery string) {
		for _, p := range []string{"/products", "/products/top"} {
			r := resttest.Request(http.MethodGet, p, "")
			r.URL.RawQuery = rawQuery
			w := resttest.Serve(h, r)
			switch w.Code {
			case http.StatusOK:
				if got := resttest.Decode[productsAnswer](t, w); len(got.Products) > 50 {
					t.Fatalf("%d products", len(got.Products))
				}
			case http.StatusBadRequest:
				if e := resttest.Decode[resttest.ErrorBody](t, w).Error; e.Code != restkit.CodeInvalidArgument {
					t.Fatalf("error %+v", e)
				}
			default:
				t.Fatalf("%s?%s: status %d: %s", p, rawQuery, w.Code, w.Body)
			}
		}
	})
}
