package cachecontrol

import (
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const sdl = `
enum CacheControlScope { PUBLIC PRIVATE }
directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
directive @owner on FIELD_DEFINITION
type Query {
  me: User @cacheControl(scope: PRIVATE)
  user(id: ID!): User
  top: [Product!]
  page: ProductPage
  version: String
  product: Product @cacheControl(maxAge: 10)
}
type Mutation { touch: Product }
type User @cacheControl(maxAge: 60) {
  id: ID!
  email: String @owner
  reviews: [Review!] @cacheControl(maxAge: 30)
}
type Product @cacheControl(maxAge: 300) {
  upc: ID!
  inStock: Boolean @cacheControl(maxAge: 5)
  reviews: [Review!] @cacheControl(maxAge: 30)
  meta: Meta
}
type Meta { note: String }
type ProductPage @cacheControl(inheritMaxAge: true) { nodes: [Product!]! total: Int! }
type Review @cacheControl(maxAge: 30) { id: ID! author: User }
`

func load(t *testing.T) (*ast.Schema, *Hints) {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: sdl})
	if err != nil {
		t.Fatal(err)
	}
	h, err := Read(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, h
}

func TestOf(t *testing.T) {
	_, h := load(t)
	tests := []struct {
		coord   string
		maxAge  time.Duration
		private bool
		ok      bool
	}{
		{"Product", 300 * time.Second, false, true},
		{"Product.inStock", 5 * time.Second, false, true},
		{"Product.reviews", 30 * time.Second, false, true},
		{"Query.user", 60 * time.Second, false, true}, // the type's hint
		{"Query.me", 60 * time.Second, true, true},    // the type's maxAge, the field's scope
		{"Query.version", 0, false, false},            // no hint
		{"Meta", 0, false, false},
	}
	for _, tt := range tests {
		m, p, ok := h.Of(tt.coord)
		if m != tt.maxAge || p != tt.private || ok != tt.ok {
			t.Errorf("Of(%s) = %s %v %v, want %s %v %v", tt.coord, m, p, ok, tt.maxAge, tt.private, tt.ok)
		}
	}
}

func TestOperation(t *testing.T) {
	s, h := load(t)
	tests := []struct {
		name     string
		query    string
		def      time.Duration
		anon     string
		signedIn string
	}{
		{"the smallest maxAge", `{ top { upc reviews { id } } }`, 0, "public, max-age=30", "public, max-age=30"},
		{"a field hint below a type hint", `{ top { upc inStock } }`, 0, "public, max-age=5", "public, max-age=5"},
		{"a root field's own hint", `{ product { upc } }`, 0, "public, max-age=10", "public, max-age=10"},
		{"scalars inherit", `{ user(id: "1") { id } }`, 0, "public, max-age=60", "public, max-age=60"},
		{"wrappers inherit", `{ page { total nodes { upc } } }`, 0, "no-store", "no-store"}, // page itself: a root field without a hint
		{"a private field", `{ me { id } }`, 0, "private, max-age=60", "private, max-age=60"},
		{"caller-dependent only when signed in", `{ user(id: "1") { email } }`, 0, "public, max-age=60", "private, max-age=60"},
		{"an object field without hint", `{ top { meta { note } } }`, 0, "no-store", "no-store"},
		{"a root scalar without hint", `{ version }`, 0, "no-store", "no-store"},
		{"the default maxAge for fields without", `{ version top { upc } }`, 20 * time.Second, "public, max-age=20", "public, max-age=20"},
		{"fragments count", `{ top { ...F } } fragment F on Product { reviews { author { id } } }`, 0, "public, max-age=30", "public, max-age=30"},
		{"inline fragments count", `{ top { ... on Product { inStock } } }`, 0, "public, max-age=5", "public, max-age=5"},
		{"only __typename", `{ __typename }`, 0, "no-store", "no-store"},
		{"introspection", `{ __schema { queryType { name } } }`, 0, "no-store", "no-store"},
		{"a mutation", `mutation { touch { upc } }`, time.Hour, "no-store", "no-store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(s, tt.query)
			if errs != nil {
				t.Fatal(errs)
			}
			p := h.Operation(doc.Operations[0], tt.def)
			if got := p.Header(false); got != tt.anon {
				t.Errorf("anonymous: %q, want %q (%+v)", got, tt.anon, p)
			}
			if got := p.Header(true); got != tt.signedIn {
				t.Errorf("signed in: %q, want %q (%+v)", got, tt.signedIn, p)
			}
		})
	}
}

func TestReadRefusesBadHints(t *testing.T) {
	for _, bad := range []string{
		`type Query { a: Int @cacheControl(maxAge: -1) }`,
		`type Query @cacheControl(maxAge: 1.5) { a: Int }`,
	} {
		s, err := gqlparser.LoadSchema(&ast.Source{Input: "directive @cacheControl(maxAge: Float, scope: String, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT\n" + bad})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Read(s); err == nil {
			t.Errorf("Read accepted %s", bad)
		}
	}
}

func TestResponderKeepsPolicies(t *testing.T) {
	s, h := load(t)
	r := NewResponder(h, 0)
	const q = `query A { top { upc } } query B { version }`
	doc, errs := gqlparser.LoadQuery(s, q)
	if errs != nil {
		t.Fatal(errs)
	}
	for range 2 {
		if got := r.Header(doc.Operations.ForName("A"), false); got != "public, max-age=300" {
			t.Errorf("A: %q", got)
		}
		if got := r.Header(doc.Operations.ForName("B"), false); got != "no-store" {
			t.Errorf("B: %q", got)
		}
	}
	if n := r.headers.Len(); n != 2 {
		t.Errorf("%d policies kept, want 2 (one per operation of the document)", n)
	}
	a := doc.Operations.ForName("A")
	if n := testing.AllocsPerRun(100, func() { r.Header(a, true) }); n != 0 {
		t.Errorf("a kept operation's header allocates %v times, want 0", n)
	}
}
