package data

// Index answers look-ups by key over a Set. It is built once and read-only afterwards, so it is safe
// for concurrent use.
type Index struct {
	Set       *Set
	users     map[string]int
	products  map[string]int
	stock     map[string]int
	orders    map[string]int
	byAuthor  map[string][]int
	byProduct map[string][]int
	byBuyer   map[string][]int
}

// NewIndex indexes s.
func NewIndex(s *Set) *Index {
	ix := &Index{
		Set:       s,
		users:     make(map[string]int, len(s.Users)),
		products:  make(map[string]int, len(s.Products)),
		stock:     make(map[string]int, len(s.Stock)),
		orders:    make(map[string]int, len(s.Orders)),
		byAuthor:  make(map[string][]int),
		byProduct: make(map[string][]int),
		byBuyer:   make(map[string][]int),
	}
	for i, u := range s.Users {
		ix.users[u.ID] = i
	}
	for i, p := range s.Products {
		ix.products[p.UPC] = i
	}
	for i, st := range s.Stock {
		ix.stock[st.UPC] = i
	}
	for i, o := range s.Orders {
		ix.orders[o.ID] = i
		ix.byBuyer[o.BuyerID] = append(ix.byBuyer[o.BuyerID], i)
	}
	for i, r := range s.Reviews {
		ix.byAuthor[r.AuthorID] = append(ix.byAuthor[r.AuthorID], i)
		ix.byProduct[r.ProductUPC] = append(ix.byProduct[r.ProductUPC], i)
	}
	return ix
}

// User returns the user with the given id.
func (ix *Index) User(id string) (User, bool) {
	i, ok := ix.users[id]
	if !ok {
		return User{}, false
	}
	return ix.Set.Users[i], true
}

// Product returns the product with the given UPC.
func (ix *Index) Product(upc string) (Product, bool) {
	i, ok := ix.products[upc]
	if !ok {
		return Product{}, false
	}
	return ix.Set.Products[i], true
}

// Stock returns the stock of the product with the given UPC.
func (ix *Index) Stock(upc string) (Stock, bool) {
	i, ok := ix.stock[upc]
	if !ok {
		return Stock{}, false
	}
	return ix.Set.Stock[i], true
}

// Order returns the order with the given id.
func (ix *Index) Order(id string) (Order, bool) {
	i, ok := ix.orders[id]
	if !ok {
		return Order{}, false
	}
	return ix.Set.Orders[i], true
}

// ReviewsByAuthor returns the reviews the user wrote, in id order.
func (ix *Index) ReviewsByAuthor(userID string) []Review {
	return pick(ix.Set.Reviews, ix.byAuthor[userID])
}

// ReviewsByProduct returns the reviews of the product, in id order.
func (ix *Index) ReviewsByProduct(upc string) []Review {
	return pick(ix.Set.Reviews, ix.byProduct[upc])
}

// OrdersByBuyer returns the user's orders in id order.
func (ix *Index) OrdersByBuyer(userID string) []Order {
	return pick(ix.Set.Orders, ix.byBuyer[userID])
}

func pick[T any](all []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}
