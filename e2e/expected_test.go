package e2e

import (
	"encoding/base64"

	"github.com/trellisgw/trellis/demo/data"
)

// The builders below derive the reference query's answer from the seeded data set alone, following
// the schema's documented semantics (users in id order, reviews oldest first and at most `first` = 10,
// the top ranking of the products service, `id` the global id). They never look at the gateway's output.

type obj = map[string]any

func expectedReference(ix *data.Index, users int) obj {
	var nodes []any
	for _, u := range ix.Set.Users[:users] {
		nodes = append(nodes, withReviews(userFields(u), ix.ReviewsByAuthor(u.ID), func(r data.Review) obj {
			p, _ := ix.Product(r.ProductUPC)
			return obj{"product": withReviews(productFields(ix, p), ix.ReviewsByProduct(p.UPC), func(r data.Review) obj {
				return obj{"author": authorTree(ix, r.AuthorID)}
			})}
		}))
	}
	var top []any
	for _, upc := range ix.Set.Top[:5] {
		p, _ := ix.Product(upc)
		top = append(top, withReviews(productFields(ix, p), ix.ReviewsByProduct(upc), func(r data.Review) obj {
			return obj{"author": authorTree(ix, r.AuthorID)}
		}))
	}
	return obj{"users": obj{"nodes": nodes}, "topProducts": top}
}

// authorTree is `author { ...U reviews { ...R product { ...P } } }`.
func authorTree(ix *data.Index, id string) obj {
	u, _ := ix.User(id)
	return withReviews(userFields(u), ix.ReviewsByAuthor(id), func(r data.Review) obj {
		p, _ := ix.Product(r.ProductUPC)
		return obj{"product": productFields(ix, p)}
	})
}

// withReviews adds `reviews { ...R <more> }` to o, with the first 10 reviews.
func withReviews(o obj, reviews []data.Review, more func(data.Review) obj) obj {
	list := []any{}
	for i, r := range reviews {
		if i == 10 {
			break
		}
		ro := obj{"id": globalID("Review", r.ID), "body": r.Body}
		for k, v := range more(r) {
			ro[k] = v
		}
		list = append(list, ro)
	}
	o["reviews"] = list
	return o
}

func userFields(u data.User) obj {
	return obj{"id": globalID("User", u.ID), "username": u.Username, "name": u.Name}
}

// globalID is the global id of the object of type typ with the upstream key key, written out here
// independently of the gateway's code: the raw URL base64 of "<Type>:<key>".
func globalID(typ, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + key))
}

func productFields(ix *data.Index, p data.Product) obj {
	s, _ := ix.Stock(p.UPC)
	return obj{
		"upc": p.UPC, "name": p.Name, "price": float64(p.Price), "weight": float64(p.Weight),
		"inStock": s.InStock, "shippingEstimate": float64(s.ShippingEstimate),
	}
}
