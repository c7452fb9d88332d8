package model

// The Go side of the schema's abstract types. gqlgen would generate interfaces with marker methods
// (IsNode) that the bound upstream types would have to implement; these are empty interfaces instead,
// so that upstreams stays free of GraphQL. The generated code and the engine's bindings tell the
// concrete types apart by a type switch over the types bound to the members.

// Node is a value of the interface Node: *upstreams.User, *upstreams.Product, *upstreams.Review or
// *upstreams.Order.
type Node interface{}

// SearchResult is a value of the union SearchResult: *upstreams.User or *upstreams.Product.
type SearchResult interface{}
