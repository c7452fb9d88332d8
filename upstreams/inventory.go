package upstreams

import (
	"context"

	"google.golang.org/grpc"

	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
	"github.com/trellisgw/trellis/upstreams/entitycache"
)

// Inventory is the typed client of the inventory gRPC service.
type Inventory struct {
	c     inventoryv1.InventoryServiceClient
	stock *entitycache.Kind[Stock] // nil: not cached
}

// NewInventory wraps a connection to the inventory service.
func NewInventory(conn grpc.ClientConnInterface) *Inventory {
	return &Inventory{c: inventoryv1.NewInventoryServiceClient(conn)}
}

// StockByUPC returns the stock of the given products; unknown UPCs are absent. With the entity cache,
// only the UPCs it misses are sent.
func (i *Inventory) StockByUPC(ctx context.Context, upcs []string) ([]Stock, error) {
	return cachedByKey(ctx, i.stock, upcs, func(s Stock) string { return s.UPC }, i.getStock)
}

func (i *Inventory) getStock(ctx context.Context, upcs []string) ([]Stock, error) {
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
