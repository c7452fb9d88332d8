package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/graph/generated"
)

func TestDocumentsCacheSmallValidQueriesOnly(t *testing.T) {
	ctx := context.Background()
	c, err := cache.NewMemory[*ast.QueryDocument]("test", cache.Config{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	docs := documents{schema: generated.NewExecutableSchema(generated.Config{}).Schema(), cache: c,
		limits: Limits{}.withDefaults()}
	small, large, invalid := "{ __typename }", "{ __typename "+strings.Repeat(" ", maxCachedQuery)+"}", "{ nope }"
	for _, q := range []string{small, large} {
		if _, errs := docs.load(ctx, q); errs != nil {
			t.Fatalf("load: %v", errs)
		}
	}
	if _, errs := docs.load(ctx, invalid); errs == nil {
		t.Fatal("an invalid query loaded")
	}
	if _, ok := c.Get(ctx, small); !ok {
		t.Error("a small query's document was not cached")
	}
	if _, ok := c.Get(ctx, large); ok {
		t.Errorf("a %d-byte query's document was cached", len(large))
	}
	if _, ok := c.Get(ctx, invalid); ok {
		t.Error("an invalid query's document was cached")
	}
}

// TestHandedOver: the executor's query cache answers the document the transport loaded for this
// operation, and only for its query text.
func TestHandedOver(t *testing.T) {
	doc := &ast.QueryDocument{}
	req := &httpRequest{}
	ctx := context.WithValue(context.Background(), httpRequestKey{}, req)
	st := &req.op
	if _, ok := (handedOver{}).Get(ctx, "{a}"); ok {
		t.Fatal("a document before the transport loaded one")
	}
	st.query, st.doc = "{a}", doc
	if got, ok := (handedOver{}).Get(ctx, "{a}"); !ok || got != doc {
		t.Fatalf("Get = %v, %v; want the loaded document", got, ok)
	}
	if _, ok := (handedOver{}).Get(ctx, "{b}"); ok {
		t.Fatal("the document of another query text")
	}
	if _, ok := (handedOver{}).Get(context.Background(), "{a}"); ok {
		t.Fatal("a document without a request")
	}
}
