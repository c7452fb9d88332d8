package upstreams

import (
	"context"

	"google.golang.org/grpc"

	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
)

// Inventory is the typed client of the inventory gRPC service.
type Inventory struct {
	c inventoryv1.InventoryServiceClient
}

// NewInventory wraps a connection to the inventory service.
func NewInventory(conn grpc.ClientConnInterface) *Inventory {
	return &Inventory{c: inventoryv1.NewInventoryServiceClient(conn)}
}

// StockByUPC returns the stock of the given products; unknown UPCs are absent.
func (i *Inventory) StockByUPC(ctx context.Context, upcs []string) ([]Stock, error) {
	return batched(ctx, upcs, func(ctx context.Context, chunk []string) ([]Stock, error) {
		resp, err := i.c.GetStock(ctx, &inventoryv1.GetStockRequest{Upcs: chunk})
		if err != nil {
			return nil, err
		}
		out := make([]Stock, len(resp.GetStock()))
		for j, s := range resp.GetStock() {
			out[j] = Stock{
				UPC:              s.GetUpc(),
				InStock:          s.GetInStock(),
				Quantity:         int(s.GetQuantity()),
				ShippingEstimate: int(s.GetShippingEstimate()),
			}
		}
		return out, nil
	})
}
