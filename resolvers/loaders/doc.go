// Package loaders batches the resolvers' upstream look-ups: within one GraphQL operation, every key
// kind (users by id, products by UPC, reviews by product, …) costs one upstream call per level of the
// query, and each key is fetched at most once.
//
// # When a batch is sent
//
// Timer-based dataloaders (graph-gophers/dataloader/v7 included: v7.1.0 has a fixed window started by
// the first Load and no Flush) trade latency for batch completeness: the default 16 ms window is paid
// at every level, and a short one splits batches as soon as the machine is busy. Measured here under
// `go test -race`, a 500 µs window turned the reference query's 13 calls into 20-30.
//
// Trellis instead sends a batch at the moment no more keys can arrive: when every field resolution of
// the operation that has not finished is waiting, on a batch or on an upstream call. A scheduler per
// operation counts the field resolutions gqlgen will run (a field's result announces its children:
// the number of objects it returned times the fields selected on them) and the ones that are waiting.
// When the two counts meet, the queued keys of every kind are sent, each kind in one call. This adds no
// timer to any level and does not depend on how fast goroutines are scheduled. A safety timer
// (Config.MaxWait) sends queued keys anyway should the count ever be wrong (for instance on abstract
// types, whose children cannot be counted ahead); such flushes are counted in a metric.
//
// This scheduling is the product's own core, so it is written here rather than taken from a library:
// no Go dataloader exposes the execution state it needs.
//
// # Use
//
// Extension (a gqlgen handler extension) gives every operation its own Loaders and scheduler; resolvers
// call the typed helpers (User, Product, ReviewsOfProduct, …) for batched look-ups and Do around any
// other upstream call, so that the scheduler knows the field is waiting.
package loaders
