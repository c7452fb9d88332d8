package orders

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/trellisgw/trellis/demo/data"
	ordersv1 "github.com/trellisgw/trellis/proto/orders/v1"
)

// Limits of the requests, as the .proto documents them.
const (
	// MaxIDs is the largest number of ids one GetOrders or ListOrdersByBuyers call may name.
	MaxIDs = 500
	// MaxItems is the largest number of lines one placed order may have.
	MaxItems = 50
	// MaxQuantity is the largest quantity of one line of a placed order.
	MaxQuantity = 100
)

// Server implements ordersv1.OrderServiceServer. It is safe for concurrent use.
type Server struct {
	ordersv1.UnimplementedOrderServiceServer
	ix  *data.Index
	now func() time.Time

	mu sync.RWMutex // guards the fields below
	// placed holds the orders placed at run time, by id.
	placed map[string]data.Order
	// placedByBuyer holds the ids of the orders placed at run time, by buyer id, in placing order.
	placedByBuyer map[string][]string
	// next is the number of the next order id ("o<next>").
	next int
}

// Interface guard.
var _ ordersv1.OrderServiceServer = (*Server)(nil)

// Option configures a Server.
type Option func(*Server)

// WithClock makes the Server stamp placed orders with now() instead of time.Now(). For tests.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// NewServer returns a Server holding the orders of ix (which must not be nil); orders placed later get
// ids continuing after the largest seeded one.
func NewServer(ix *data.Index, opts ...Option) *Server {
	s := &Server{
		ix:            ix,
		placed:        make(map[string]data.Order),
		placedByBuyer: make(map[string][]string),
	}
	for _, o := range ix.Set.Orders {
		if n, err := strconv.Atoi(strings.TrimPrefix(o.ID, "o")); err == nil && n > s.next {
			s.next = n
		}
	}
	s.next++
	for _, opt := range opts {
		opt(s)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// GetOrders returns the known requested orders in request order, duplicates collapsed.
func (s *Server) GetOrders(_ context.Context, req *ordersv1.GetOrdersRequest) (*ordersv1.GetOrdersResponse, error) {
	ids := req.GetIds()
	if err := validateKeys("ids", ids); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := make(map[string]struct{}, len(ids))
	out := &ordersv1.GetOrdersResponse{Orders: make([]*ordersv1.Order, 0, len(ids))}
	for _, id := range ids {
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		if o, ok := s.orderLocked(id); ok {
			out.Orders = append(out.Orders, toProto(o))
		}
	}
	return out, nil
}

// ListOrdersByBuyers returns one entry per requested buyer (duplicates collapsed) in request order,
// each with the buyer's orders newest first (created_at descending, then id descending).
func (s *Server) ListOrdersByBuyers(_ context.Context, req *ordersv1.ListOrdersByBuyersRequest) (*ordersv1.ListOrdersByBuyersResponse, error) {
	ids := req.GetBuyerIds()
	if err := validateKeys("buyer_ids", ids); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := make(map[string]struct{}, len(ids))
	out := &ordersv1.ListOrdersByBuyersResponse{Buyers: make([]*ordersv1.BuyerOrders, 0, len(ids))}
	for _, id := range ids {
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		orders := s.ix.OrdersByBuyer(id)
		for _, pid := range s.placedByBuyer[id] {
			orders = append(orders, s.placed[pid])
		}
		slices.SortFunc(orders, newestFirst)
		bo := &ordersv1.BuyerOrders{BuyerId: id, Orders: make([]*ordersv1.Order, len(orders))}
		for i, o := range orders {
			bo.Orders[i] = toProto(o)
		}
		out.Buyers = append(out.Buyers, bo)
	}
	return out, nil
}

// PlaceOrder validates and stores a new order in PENDING status, priced at the current product prices.
func (s *Server) PlaceOrder(_ context.Context, req *ordersv1.PlaceOrderRequest) (*ordersv1.PlaceOrderResponse, error) {
	o, err := s.newOrder(req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	o.ID = "o" + strconv.Itoa(s.next)
	s.next++
	o.CreatedAt = s.now().UTC()
	s.placed[o.ID] = o
	s.placedByBuyer[o.BuyerID] = append(s.placedByBuyer[o.BuyerID], o.ID)
	s.mu.Unlock()
	return &ordersv1.PlaceOrderResponse{Order: toProto(o)}, nil
}

// newOrder validates req and builds the order it asks for, without id and time.
func (s *Server) newOrder(req *ordersv1.PlaceOrderRequest) (data.Order, error) {
	if req.GetBuyerId() == "" {
		return data.Order{}, status.Error(codes.InvalidArgument, "buyer_id must not be empty")
	}
	items := req.GetItems()
	if len(items) == 0 || len(items) > MaxItems {
		return data.Order{}, status.Errorf(codes.InvalidArgument,
			"items must have between 1 and %d entries, got %d", MaxItems, len(items))
	}
	o := data.Order{BuyerID: req.GetBuyerId(), Status: data.StatusPending, Items: make([]data.OrderItem, len(items))}
	for i, it := range items {
		if it.GetUpc() == "" {
			return data.Order{}, status.Errorf(codes.InvalidArgument, "items[%d].upc must not be empty", i)
		}
		if q := it.GetQuantity(); q < 1 || q > MaxQuantity {
			return data.Order{}, status.Errorf(codes.InvalidArgument,
				"items[%d].quantity must be between 1 and %d", i, MaxQuantity)
		}
		p, ok := s.ix.Product(it.GetUpc())
		if !ok {
			return data.Order{}, status.Errorf(codes.InvalidArgument, "items[%d].upc %q is not a known product", i, it.GetUpc())
		}
		o.Items[i] = data.OrderItem{UPC: p.UPC, Quantity: int(it.GetQuantity()), UnitPrice: p.Price}
		o.Total += o.Items[i].Quantity * p.Price
	}
	return o, nil
}

// orderLocked finds a seeded or placed order. s.mu must be held.
func (s *Server) orderLocked(id string) (data.Order, bool) {
	if o, ok := s.ix.Order(id); ok {
		return o, true
	}
	o, ok := s.placed[id]
	return o, ok
}

// newestFirst orders by CreatedAt descending, then by id number descending.
func newestFirst(a, b data.Order) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(idNumber(b.ID), idNumber(a.ID))
}

// idNumber is N of an id "oN", or -1 when the id has another form.
func idNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "o"))
	if err != nil {
		return -1
	}
	return n
}

var statusByName = map[string]ordersv1.OrderStatus{
	data.StatusPending:   ordersv1.OrderStatus_ORDER_STATUS_PENDING,
	data.StatusPaid:      ordersv1.OrderStatus_ORDER_STATUS_PAID,
	data.StatusShipped:   ordersv1.OrderStatus_ORDER_STATUS_SHIPPED,
	data.StatusDelivered: ordersv1.OrderStatus_ORDER_STATUS_DELIVERED,
	data.StatusCancelled: ordersv1.OrderStatus_ORDER_STATUS_CANCELLED,
}

// toProto converts an order to its wire form.
func toProto(o data.Order) *ordersv1.Order {
	out := &ordersv1.Order{
		Id:        o.ID,
		BuyerId:   o.BuyerID,
		Items:     make([]*ordersv1.OrderItem, len(o.Items)),
		Total:     int64(o.Total),
		Status:    statusByName[o.Status],
		CreatedAt: timestamppb.New(o.CreatedAt),
	}
	for i, it := range o.Items {
		out.Items[i] = &ordersv1.OrderItem{Upc: it.UPC, Quantity: int32(it.Quantity), UnitPrice: int64(it.UnitPrice)}
	}
	return out
}

// validateKeys checks a batch of look-up keys: at least one, at most MaxIDs, none empty.
func validateKeys(field string, keys []string) error {
	switch {
	case len(keys) == 0:
		return status.Errorf(codes.InvalidArgument, "%s must not be empty", field)
	case len(keys) > MaxIDs:
		return status.Errorf(codes.InvalidArgument, "%s must have at most %d entries, got %d", field, MaxIDs, len(keys))
	}
	for i, k := range keys {
		if k == "" {
			return status.Error(codes.InvalidArgument, fmt.Sprintf("%s[%d] must not be empty", field, i))
		}
	}
	return nil
}
