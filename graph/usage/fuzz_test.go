package usage

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
)

// FuzzCollect: the coordinates of any valid operation are collected without a panic, each once.
func FuzzCollect(f *testing.F) {
	f.Add(`query Q($o: Order = OLDEST) { users(order: $o, filter: {name: "a", nick: "b"}) { ...F } } fragment F on User { friends(old: true) { ...F } }`)
	f.Add(`{ legacy __typename user(id: "1") { ... on User { name } } }`)
	f.Fuzz(func(t *testing.T, q string) {
		doc, errs := gqlparser.LoadQuery(testSchema, q)
		if errs != nil {
			return
		}
		for _, op := range doc.Operations {
			info := collect(testSchema, doc, op)
			for i := 1; i < len(info.coords); i++ {
				if info.coords[i-1] >= info.coords[i] {
					t.Fatalf("coordinates not sorted and unique: %q", info.coords)
				}
			}
		}
	})
}
