package upstreams

import (
	"context"
	"fmt"
	"math"
	"time"

	"google.golang.org/grpc"

	ordersv1 "github.com/trellisgw/trellis/proto/orders/v1"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// Orders is the typed client of the orders gRPC service.
type Orders struct{ c ordersv1.OrderServiceClient }

// NewOrders wraps a connection to the orders service.
func NewOrders(conn grpc.ClientConnInterface) *Orders {
	return &Orders{c: ordersv1.NewOrderServiceClient(conn)}
}

// OrdersByID returns the orders with the given ids; unknown ids are absent.
func (o *Orders) OrdersByID(ctx context.Context, ids []string) ([]Order, error) {
	return batched(ctx, ids, func(ctx context.Context, chunk []string) ([]Order, error) {
		resp, err := o.c.GetOrders(ctx, &ordersv1.GetOrdersRequest{Ids: chunk})
		if err != nil {
			return nil, err
		}
		return convertOrders(resp.GetOrders()), nil
	})
}

// OrdersByBuyers returns each buyer's orders, newest first, keyed by buyer id.
func (o *Orders) OrdersByBuyers(ctx context.Context, buyerIDs []string) (map[string][]Order, error) {
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

// PlaceOrder places a new order for buyerID. Invalid input fails with upstreamerr.BadInput.
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
