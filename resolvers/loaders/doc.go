// Package loaders merges the upstream look-ups that the resolvers of one level make: within one GraphQL
// operation, every key kind (users by id, products by UPC, stock by UPC, reviews by product, …) costs
// one upstream call per level of the query, and each key is fetched at most once.
//
// # When a batch is sent
//
// Timer-based dataloaders (graph-gophers/dataloader/v7 included: v7.1.0 has a fixed window started by
// the first Load and no Flush) trade latency for batch completeness: the default 16 ms window is paid
// at every level, and a short one splits batches as soon as the machine is busy.
//
// The execution engine (graph/engine) runs an operation level by level and hands each batch resolver
// every parent of its (type, field) at that level, so a resolver already asks for all its keys at once.
// What remains to merge is look-ups of one kind made by different fields of the same level (a
// product's inStock and shippingEstimate both read stock by UPC; a review's author and an order's buyer
// both read users by id). The engine runs a level's calls through Op.RunLevel, which knows exactly how
// many calls the level has: a look-up queues its missing keys and waits, and when every call of the
// level is waiting (or done) the queued keys of each kind go out as one call. The count is exact, so
// there is no timer, no watchdog and no dependence on goroutine scheduling.
//
// Keys fetched earlier in the operation are answered from the operation's memo without a call.
//
// Outside the engine (gqlgen's executor, which runs introspection and serves as the engine's oracle
// in tests) there is no Op in the context: each look-up then calls the upstream directly.
//
// This batching is the product's own core, so it is written here rather than taken from a library: no
// Go dataloader knows when a level is complete.
package loaders
