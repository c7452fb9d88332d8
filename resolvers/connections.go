package resolvers

import (
	"github.com/trellisgw/trellis/graph/model"
	"github.com/trellisgw/trellis/upstreams"
)

// The connection builders below share one shape; gqlgen generates a distinct type per connection, so
// each needs its own.

func userConnection(items []upstreams.User, offset, total int) *model.UserConnection {
	c := &model.UserConnection{Nodes: items, PageInfo: pageInfo(offset, len(items), total), TotalCount: total}
	c.Edges = make([]model.UserEdge, len(items))
	for i := range items {
		c.Edges[i] = model.UserEdge{Cursor: encodeCursor(offset + i), Node: &items[i]}
	}
	return c
}

func productConnection(items []upstreams.Product, offset, total int) *model.ProductConnection {
	c := &model.ProductConnection{Nodes: items, PageInfo: pageInfo(offset, len(items), total), TotalCount: total}
	c.Edges = make([]model.ProductEdge, len(items))
	for i := range items {
		c.Edges[i] = model.ProductEdge{Cursor: encodeCursor(offset + i), Node: &items[i]}
	}
	return c
}

func orderConnection(items []upstreams.Order, offset, total int) *model.OrderConnection {
	c := &model.OrderConnection{Nodes: items, PageInfo: pageInfo(offset, len(items), total), TotalCount: total}
	c.Edges = make([]model.OrderEdge, len(items))
	for i := range items {
		c.Edges[i] = model.OrderEdge{Cursor: encodeCursor(offset + i), Node: &items[i]}
	}
	return c
}
