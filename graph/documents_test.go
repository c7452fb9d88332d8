package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trellisgw/trellis/cache"
)

func TestSizedDocumentsSkipsLargeQueries(t *testing.T) {
	ctx := context.Background()
	c, err := cache.NewMemory[*ast.QueryDocument]("test", cache.Config{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	docs := sizedDocuments{c}
	small, large := "{ a }", "{ "+strings.Repeat("a ", maxCachedQuery/2)+"}"
	docs.Add(ctx, small, &ast.QueryDocument{})
	docs.Add(ctx, large, &ast.QueryDocument{})
	if _, ok := docs.Get(ctx, small); !ok {
		t.Error("a small query's document was not cached")
	}
	if _, ok := docs.Get(ctx, large); ok {
		t.Errorf("a %d-byte query's document was cached", len(large))
	}
}
