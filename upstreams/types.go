package upstreams

// User is an account, as the accounts service returns it.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Email    string `json:"email"`
}

// Product is an item for sale, as the products service returns it. Price is in cents, Weight in grams.
type Product struct {
	UPC    string `json:"upc"`
	Name   string `json:"name"`
	Price  int    `json:"price"`
	Weight int    `json:"weight"`
}

// Review is a user's review of a product, as the reviews service returns it. Rating is 1..5.
type Review struct {
	ID         string `json:"id"`
	Body       string `json:"body"`
	Rating     int    `json:"rating"`
	AuthorID   string `json:"author_id"`
	ProductUPC string `json:"product_upc"`
}

// NewReview is the input of Reviews.Add.
type NewReview struct {
	ProductUPC string `json:"product_upc"`
	AuthorID   string `json:"author_id"`
	Body       string `json:"body"`
	Rating     int    `json:"rating"`
}

// Stock is the inventory of one product. ShippingEstimate is in cents.
type Stock struct {
	UPC              string
	InStock          bool
	Quantity         int
	ShippingEstimate int
}

// OrderStatus is where an order is in its life; the values are the GraphQL enum's names.
type OrderStatus string

// The order statuses.
const (
	OrderStatusPending   OrderStatus = "PENDING"
	OrderStatusPaid      OrderStatus = "PAID"
	OrderStatusShipped   OrderStatus = "SHIPPED"
	OrderStatusDelivered OrderStatus = "DELIVERED"
	OrderStatusCancelled OrderStatus = "CANCELLED"
)

// Order is one purchase. Total is in cents; CreatedAt is RFC 3339 in UTC.
type Order struct {
	ID        string
	BuyerID   string
	Items     []OrderItem
	Total     int
	Status    OrderStatus
	CreatedAt string
}

// OrderItem is one line of an order. UnitPrice is in cents.
type OrderItem struct {
	UPC       string
	Quantity  int
	UnitPrice int
}

// NewOrderItem is one line of an order to place.
type NewOrderItem struct {
	UPC      string
	Quantity int
}

// Page is one page of a listing, with the total number of items across all pages.
type Page[T any] struct {
	Items []T
	Total int
}
