package requestid

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	tests := []struct {
		name, in string
		keep     bool
	}{
		{"uuid", "0b6f3f9e-6a43-4c1e-9b53-5d8a1e3c2f10", true},
		{"proxy style", "trace:abc", true},
		{"all allowed characters", "req:abc.123_X-y", true},
		{"empty", "", false},
		{"too long", strings.Repeat("a", MaxLen+1), false},
		{"longest", strings.Repeat("a", MaxLen), true},
		{"space", "abc def", false},
		{"newline (log injection)", "abc\n{\"msg\":\"forged\"}", false},
		{"unicode", "abcé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := From(tt.in)
			if tt.keep && got != tt.in {
				t.Errorf("From(%q) = %q, want it kept", tt.in, got)
			}
			if !tt.keep && (got == tt.in || len(got) != 32 || !Valid(got)) {
				t.Errorf("From(%q) = %q, want a new 32-hex-digit id", tt.in, got)
			}
		})
	}
	if From("") == From("") {
		t.Error("two generated ids are equal")
	}
}

// TestMiddlewareNested: two middlewares on the way in (telemetry's and graph's) agree on one id, the
// one in the response header, whatever the client sent.
func TestMiddlewareNested(t *testing.T) {
	for _, tt := range []struct{ name, in string }{{"no id", ""}, {"valid id", "trace:abc"}, {"invalid id", "bad id\n"}} {
		t.Run(tt.name, func(t *testing.T) {
			var inner, outer string
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				outer = FromContext(r.Context())
				Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
					inner = FromContext(r.Context())
				})).ServeHTTP(w, r)
			})
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.in != "" {
				req.Header.Set(Header, tt.in)
			}
			Middleware(h).ServeHTTP(rec, req)
			got := rec.Header().Values(Header)
			if len(got) != 1 || got[0] != outer || inner != outer || !Valid(outer) {
				t.Fatalf("header %q, outer %q, inner %q: want one valid id everywhere", got, outer, inner)
			}
			if Valid(tt.in) != (outer == tt.in) {
				t.Errorf("id %q for %q: a valid id must be kept, an invalid one replaced", outer, tt.in)
			}
		})
	}
}

func FuzzFrom(f *testing.F) {
	for _, s := range []string{"", "abc", "a\nb", "trace:abc", strings.Repeat("z", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := From(in)
		if !Valid(got) {
			t.Fatalf("From(%q) = %q is not a valid id", in, got)
		}
		if Valid(in) != (got == in) {
			t.Fatalf("From(%q) = %q: a valid id must be kept, an invalid one replaced", in, got)
		}
	})
}

// EnsureContext gives the id Ensure gives, in a context, and r's own context when it has one.
func TestEnsureContext(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.Header.Set(Header, "abc-1")
	w := httptest.NewRecorder()
	id, ctx := EnsureContext(w, r)
	if id != "abc-1" || FromContext(ctx) != "abc-1" || w.Header().Get(Header) != "abc-1" {
		t.Fatalf("id %q, in the context %q, header %q; want abc-1 each", id, FromContext(ctx), w.Header().Get(Header))
	}
	r = r.WithContext(ctx)
	again, ctx2 := EnsureContext(httptest.NewRecorder(), r)
	if again != id || ctx2 != r.Context() {
		t.Errorf("second call: id %q, a new context %v; want %q and r's own", again, ctx2 != r.Context(), id)
	}
}
