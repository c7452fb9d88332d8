// Package inventory is the sample inventory service: the gRPC InventoryService over the generated data
// set's stock levels. It is read-only and safe for concurrent use.
package inventory

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/trellisgw/trellis/demo/data"
	inventoryv1 "github.com/trellisgw/trellis/proto/inventory/v1"
)

// MaxUPCs is the largest number of UPCs one GetStock call may name.
const MaxUPCs = 500

// Server implements inventoryv1.InventoryServiceServer over a data.Index.
type Server struct {
	inventoryv1.UnimplementedInventoryServiceServer
	ix *data.Index
}

// Interface guard.
var _ inventoryv1.InventoryServiceServer = (*Server)(nil)

// NewServer returns a Server answering from ix, which must not be nil.
func NewServer(ix *data.Index) *Server {
	return &Server{ix: ix}
}

// GetStock returns the stock of the known requested products, in request order, duplicates collapsed.
// It fails with InvalidArgument when no UPC is given, more than MaxUPCs are given, or a UPC is empty.
func (s *Server) GetStock(_ context.Context, req *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
	upcs := req.GetUpcs()
	if err := validateKeys("upcs", upcs); err != nil {
		return nil, err
	}
	seen := make(map[string]struct{}, len(upcs))
	out := &inventoryv1.GetStockResponse{Stock: make([]*inventoryv1.Stock, 0, len(upcs))}
	for _, upc := range upcs {
		if _, dup := seen[upc]; dup {
			continue
		}
		seen[upc] = struct{}{}
		st, ok := s.ix.Stock(upc)
		if !ok {
			continue
		}
		out.Stock = append(out.Stock, &inventoryv1.Stock{
			Upc:              st.UPC,
			InStock:          st.InStock,
			Quantity:         int32(st.Quantity),
			ShippingEstimate: int32(st.ShippingEstimate),
		})
	}
	return out, nil
}

// validateKeys checks a batch of look-up keys: at least one, at most MaxUPCs, none empty.
func validateKeys(field string, keys []string) error {
	switch {
	case len(keys) == 0:
		return status.Errorf(codes.InvalidArgument, "%s must not be empty", field)
	case len(keys) > MaxUPCs:
		return status.Errorf(codes.InvalidArgument, "%s must have at most %d entries, got %d", field, MaxUPCs, len(keys))
	}
	for i, k := range keys {
		if k == "" {
			return status.Error(codes.InvalidArgument, fmt.Sprintf("%s[%d] must not be empty", field, i))
		}
	}
	return nil
}
