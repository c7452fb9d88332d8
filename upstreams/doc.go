// Package upstreams holds the typed clients of the upstream services behind the gateway (accounts,
// products and reviews over REST; inventory and orders over gRPC) and the domain types they return.
//
// The clients know nothing of GraphQL: they take plain Go values, batch keys in one call per method,
// and fail with *upstreamerr.Error values whose Code is safe to show to clients. Per-request batching
// and caching sit in front of them (resolvers/loaders, cache/); transport concerns sit below them
// (upstreams/rest, the gRPC ClientConn).
package upstreams
