package e2e

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPooledResponseBuffersUnderConcurrency: the engine writes each response's data into a pooled
// buffer that the handler hands back once the response is written (internal/bufpool). Concurrent
// requests of different sizes, small and large, each get exactly their own data: a buffer handed back
// too early, or twice, would show here as one response's bytes in another's.
func TestPooledResponseBuffersUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	const small = `query($upc: ID!) { product(upc: $upc) { upc name price } }`
	const large = `query($n: Int) { users(first: $n) { nodes { id username reviews { id body product { upc name } } } } }`
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				upc := fmt.Sprintf("p%d", 1+(g*7+i)%20)
				if i%3 == 0 {
					n := 1 + (g+i)%8
					r := e.query(t, "", large, map[string]any{"n": n})
					var got struct {
						Users struct {
							Nodes []struct{ ID string } `json:"nodes"`
						} `json:"users"`
					}
					r.decode(t, &got)
					if len(r.Errors) > 0 || len(got.Users.Nodes) != n {
						t.Errorf("users(first: %d): %d nodes, errors %v", n, len(got.Users.Nodes), r.Errors)
						return
					}
					continue
				}
				p, ok := e.index.Product(upc)
				if !ok {
					t.Errorf("no product %s in the data set", upc)
					return
				}
				r := e.query(t, "", small, map[string]any{"upc": upc})
				var got struct {
					Product struct {
						UPC   string `json:"upc"`
						Name  string `json:"name"`
						Price int    `json:"price"`
					} `json:"product"`
				}
				r.decode(t, &got)
				want := struct{ UPC, Name string }{p.UPC, p.Name}
				if d := cmp.Diff(struct{ UPC, Name string }{got.Product.UPC, got.Product.Name}, want); d != "" || len(r.Errors) > 0 {
					t.Errorf("product(%s) (-got +want):\n%s errors %v", upc, d, r.Errors)
					return
				}
			}
		}()
	}
	wg.Wait()
}
