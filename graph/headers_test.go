package graph

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The shared header values give each response the fields it would get from Set and Add, and no
// response's later Add changes them for the next.
func TestHeaderValuesAreNotModified(t *testing.T) {
	hv := newHeaderValues()
	for _, tt := range []struct {
		name   string
		before []string // Vary before decodeRequest (CORS's)
		want   []string
	}{
		{"no Vary yet", nil, []string{"Accept", "Authorization", "X-Later"}},
		{"CORS's Vary first", []string{"Origin"}, []string{"Origin", "Accept", "Authorization", "X-Later"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.before {
				h.Add("Vary", v)
			}
			hv.addVaryAccept(h)
			hv.addVaryAuthorization(h)
			h.Add("Vary", "X-Later") // a later middleware's own
			if diff := cmp.Diff(h.Values("Vary"), tt.want); diff != "" {
				t.Errorf("Vary (-got +want):\n%s", diff)
			}
			rec := &headerRecorder{h: http.Header{}}
			hv.setContentType(rec, mediaGraphQLResponse)
			rec.h.Add("Content-Type", "text/plain")
		})
	}
	// An Add writes into a shared slice's backing array, unseen by a comparison of the slices, when the
	// slice has room past its length: every shared slice must be full.
	shared := map[string][]string{"noStore": hv.noStore, "vary": hv.vary, "varyAuthorization": hv.varyAuthorization}
	for m, v := range hv.contentType {
		shared["contentType "+m] = v
	}
	for name, v := range shared {
		if cap(v) != len(v) {
			t.Errorf("%s: cap %d, len %d: an Add would write into the shared array", name, cap(v), len(v))
		}
	}
	if diff := cmp.Diff(hv, newHeaderValues(), cmp.AllowUnexported(headerValues{})); diff != "" {
		t.Errorf("the shared values changed (-got +want):\n%s", diff)
	}
}

// headerRecorder is a ResponseWriter with a header map only.
type headerRecorder struct {
	http.ResponseWriter
	h http.Header
}

func (r *headerRecorder) Header() http.Header { return r.h }
