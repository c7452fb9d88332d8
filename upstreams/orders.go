package upstreams

import (
	"context"
	"fmt"
	"math"
	"time"

	"google.golang.org/grpc"

	ordersv1 "github.com/trellisgw/trellis/proto/orders/v1"
	"github.com/trellisgw/trellis/upstreams/entitycache"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// Orders is the typed client of the orders gRPC service.
type Orders struct {
	c       ordersv1.OrderServiceClient
	byID    *entitycache.Kind[Order]   // nil: not cached
	byBuyer *entitycache.Kind[[]Order] // nil: not cached
	stock   *entitycache.Kind[Stock]   // invalidated by PlaceOrder; nil: not cached
}

// NewOrders wraps a connection to the orders service.
func NewOrders(conn grpc.ClientConnInterface) *Orders {
	return &Orders{c: ordersv1.NewOrderServiceClient(conn)}
}

// OrdersByID returns the orders with the given ids; unknown ids are absent. With the entity cache,
// only the ids it misses are sent.
func (o *Orders) OrdersByID(ctx context.Context, ids []string) ([]Order, error) {
	return cachedByKey(ctx, o.byID, ids, func(o Order) string { return o.ID }, o.getOrders)
}

func (o *Orders) getOrders(ctx context.Context, ids []string) ([]Order, error) {
	return batched(ctx, ids, func(ctx context.Context, chunk []string) ([]Order, error) {
		resp, err := o.c.GetOrders(ctx, &ordersv1.GetOrdersRequest{Ids: chunk})
		if err != nil {
			return nil, err
		}
		return convertOrders(resp.GetOrders()), nil
	})
}

// OrdersByBuyers returns each buyer's orders, newest first, keyed by buyer id. With the entity cache,
// only the buyers it misses are sent.
func (o *Orders) OrdersByBuyers(ctx context.Context, buyerIDs []string) (map[string][]Order, error) {
	if o.byBuyer == nil {
		return o.listByBuyers(ctx, buyerIDs)
	}
	return o.byBuyer.Load(ctx, buyerIDs, o.listByBuyers)
}

func (o *Orders) listByBuyers(ctx context.Context, buyerIDs []string) (map[string][]Order, error) {
	out := make(map[string][]Order, len(buyerIDs))
	_, err := batched(ctx, buyerIDs, func(ctx context.Context, chunk []string) ([]struct{}, error) {
		resp, err := o.c.ListOrdersByBuyers(ctx, &ordersv1.ListOrdersByBuyersRequest{BuyerIds: chunk})
		if err != nil {
			return nil, err
		}
		for _, b := range resp.GetBuyers() {
			out[b.GetBuyerId()] = convertOrders(b.GetOrders())
		}
		return nil, nil
	})
	return out, err
}

// PlaceOrder places a new order for buyerID. Invalid input fails with upstreamerr.BadInput. The cached
// orders of the buyer and stock of the items are dropped, whatever the outcome.
func (o *Orders) PlaceOrder(ctx context.Context, buyerID string, items []NewOrderItem) (Order, error) {
	req := &ordersv1.PlaceOrderRequest{BuyerId: buyerID, Items: make([]*ordersv1.PlaceOrderItem, len(items))}
	for i, it := range items {
		if it.Quantity < math.MinInt32 || it.Quantity > math.MaxInt32 {
			// The wire field is int32: a wider value would wrap into another, valid-looking quantity.
			msg := fmt.Sprintf("items[%d].quantity is out of range", i)
			return Order{}, &upstreamerr.Error{Upstream: "orders", Op: ordersv1.OrderService_PlaceOrder_FullMethodName,
				Code: upstreamerr.BadInput, Message: msg, Err: fmt.Errorf("quantity %d does not fit int32", it.Quantity)}
		}
		req.Items[i] = &ordersv1.PlaceOrderItem{Upc: it.UPC, Quantity: int32(it.Quantity)}
	}
	resp, err := o.c.PlaceOrder(ctx, req)
	// The buyer's orders and the stock of what was bought have changed (or may have: a timed-out call
	// may have placed the order).
	o.byBuyer.Invalidate(ctx, buyerID)
	upcs := make([]string, len(items))
	for i, it := range items {
		upcs[i] = it.UPC
	}
	o.stock.Invalidate(ctx, upcs...)
	if err != nil {
		return Order{}, err
	}
	return convertOrder(resp.GetOrder()), nil
}

var statusNames = map[ordersv1.OrderStatus]OrderStatus{
	ordersv1.OrderStatus_ORDER_STATUS_PENDING:   OrderStatusPending,
	ordersv1.OrderStatus_ORDER_STATUS_PAID:      OrderStatusPaid,
	ordersv1.OrderStatus_ORDER_STATUS_SHIPPED:   OrderStatusShipped,
	ordersv1.OrderStatus_ORDER_STATUS_DELIVERED: OrderStatusDelivered,
	ordersv1.OrderStatus_ORDER_STATUS_CANCELLED: OrderStatusCancelled,
}

func convertOrders(in []*ordersv1.Order) []Order {
	out := make([]Order, len(in))
	for i, o := range in {
		out[i] = convertOrder(o)
	}
	return out
}

func convertOrder(o *ordersv1.Order) Order {
	out := Order{
		ID:      o.GetId(),
		BuyerID: o.GetBuyerId(),
		Total:   int(o.GetTotal()),
		Status:  statusNames[o.GetStatus()], // "" for a status this gateway does not know: the field fails
		Items:   make([]OrderItem, len(o.GetItems())),
	}
	if ts := o.GetCreatedAt(); ts != nil {
		out.CreatedAt = ts.AsTime().UTC().Format(time.RFC3339)
	}
	for i, it := range o.GetItems() {
		out.Items[i] = OrderItem{UPC: it.GetUpc(), Quantity: int(it.GetQuantity()), UnitPrice: int(it.GetUnitPrice())}
	}
	return out
}
