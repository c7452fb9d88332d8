package floor

// The benchmark's operations. The gateway receives the same texts; the floor recognises them by text.
const (
	// ReferenceQuery is the reference query of DESIGN.md §2 (e2e/testdata/reference.graphql).
	ReferenceQuery = `fragment U on User { id username name }
fragment R on Review { id body }
fragment P on Product { upc name price weight inStock shippingEstimate }
query Reference($users: Int = 10) {
  users(first: $users) { nodes { ...U reviews { ...R product { ...P reviews { ...R author { ...U reviews { ...R product { ...P } } } } } } } }
  topProducts(first: 5) { ...P reviews { ...R author { ...U reviews { ...R product { ...P } } } } }
}
`
	// SmallQuery asks for two fields of one product: one batched upstream call.
	SmallQuery = `query Small($upc: ID!) { product(upc: $upc) { name price } }`

	// PlaceOrderMutation places an order as the signed-in user: one upstream call.
	PlaceOrderMutation = `mutation Place($items: [OrderItemInput!]!) { placeOrder(input: {items: $items}) { order { id status total } } }`
)

// UserHeader carries the signed-in user's id in the benchmark. The benchmark's gateway trusts it
// through a middleware of the benchmark binary only (cmd/bench); the product has no such header.
const UserHeader = "X-Bench-User"
