package resolvers

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGlobalIDRoundTrip(t *testing.T) {
	tests := []struct {
		typ, key string
		want     string
	}{
		{typeUser, "31", "VXNlcjozMQ"},
		{typeProduct, "p34", "UHJvZHVjdDpwMzQ"},
		{typeReview, "r7", "UmV2aWV3OnI3"},
		{typeOrder, "o1", "T3JkZXI6bzE"},
		{typeUser, "a:b/c?d=e&f", ""}, // colons and URL characters in a key survive
		{typeUser, "ünï", ""},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.key, func(t *testing.T) {
			id := globalID(tt.typ, tt.key)
			if tt.want != "" && id != tt.want {
				t.Errorf("globalID(%q, %q) = %q, want %q", tt.typ, tt.key, id, tt.want)
			}
			typ, key, ok := parseGlobalID(id)
			if !ok || typ != tt.typ || key != tt.key {
				t.Errorf("parseGlobalID(%q) = %q, %q, %v, want %q, %q, true", id, typ, key, ok, tt.typ, tt.key)
			}
			if k, ok := keyOf(tt.typ, id); !ok || k != tt.key {
				t.Errorf("keyOf(%q, %q) = %q, %v, want %q, true", tt.typ, id, k, ok, tt.key)
			}
		})
	}
}

// TestGlobalIDsOfABatch: the batch form gives each object's global id, long keys included.
func TestGlobalIDsOfABatch(t *testing.T) {
	type rec struct{ key string }
	long := strings.Repeat("k", 300)
	objs := []*rec{{"1"}, {"22"}, {long}, {"333"}, {""}}
	got := globalIDs(typeUser, objs, func(r *rec) string { return r.key })
	want := []string{globalID(typeUser, "1"), globalID(typeUser, "22"), globalID(typeUser, long), globalID(typeUser, "333"), globalID(typeUser, "")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("globalIDs (-want +got):\n%s", diff)
	}
	if n := testing.AllocsPerRun(100, func() { _ = globalIDs(typeUser, objs[:2], func(r *rec) string { return r.key }) }); n > 2 {
		t.Errorf("%v allocations per batch, want at most 2", n)
	}
}

func TestParseGlobalIDRefuses(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct{ name, id string }{
		{"empty", ""},
		{"raw id", "31"},
		{"raw order id", "o1"},
		{"not base64", "%%%"},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte("User:313"))},
		{"standard alphabet", base64.StdEncoding.EncodeToString([]byte("User:3>?"))},
		{"no colon", b64([]byte("User31"))},
		{"empty key", b64([]byte("User:"))},
		{"unknown type", b64([]byte("Cart:1"))},
		{"type case", b64([]byte("user:31"))},
		{"not a Node type", b64([]byte("OrderItem:1"))},
		{"empty type", b64([]byte(":31"))},
		{"binary garbage", b64([]byte{0xff, 0x00, ':', 'x'})},
		{"newline inside", "VXNl\ncjozMQ"},
		{"trailing bits set", "VXNlcjozMR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if typ, key, ok := parseGlobalID(tt.id); ok {
				t.Errorf("parseGlobalID(%q) = %q, %q, true, want not ok", tt.id, typ, key)
			}
		})
	}
}

func TestKeyOf(t *testing.T) {
	tests := []struct {
		name, typ, id string
		wantKey       string
		wantOK        bool
	}{
		{"global id of the type", typeUser, globalID(typeUser, "31"), "31", true},
		{"raw id", typeUser, "31", "31", true},
		{"raw order id", typeOrder, "o1", "o1", true},
		{"garbage is a raw id", typeOrder, "%%%", "%%%", true},
		{"global id of another type", typeUser, globalID(typeProduct, "31"), "", false},
		{"order id as a user", typeUser, globalID(typeOrder, "o1"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, ok := keyOf(tt.typ, tt.id)
			if ok != tt.wantOK || ok && key != tt.wantKey {
				t.Errorf("keyOf(%q, %q) = %q, %v, want %q, %v", tt.typ, tt.id, key, ok, tt.wantKey, tt.wantOK)
			}
		})
	}
}

func FuzzParseGlobalID(f *testing.F) {
	for _, s := range []string{"", "31", globalID(typeUser, "31"), globalID(typeOrder, "o1"), "VXNlcjo", "%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		typ, key, ok := parseGlobalID(id)
		if !ok {
			return
		}
		if key == "" {
			t.Fatalf("parseGlobalID(%q) accepted an empty key", id)
		}
		if again := globalID(typ, key); again != id {
			t.Errorf("parseGlobalID(%q) = %q, %q, but globalID gives %q", id, typ, key, again)
		}
	})
}
