// Package loaders batches the resolvers' upstream look-ups: within one GraphQL operation, every key
// kind (users by id, products by UPC, reviews by product, …) costs one upstream call per level of the
// query, and each key is fetched at most once.
//
// # When a batch is sent
//
// Timer-based dataloaders (graph-gophers/dataloader/v7 included: v7.1.0 has a fixed window started by
// the first Load and no Flush) trade latency for batch completeness: the default 16 ms window is paid
// at every level, and a short one splits batches as soon as the machine is busy. Measured here under
// `go test -race`, a 500 µs window turned the reference query's minimum of 16 calls into 20-30.
//
// Trellis instead sends a batch at the moment no more keys can join it. A scheduler per operation
// counts the field resolutions gqlgen will run (a field's result announces its children: the number of
// objects it returned times the fields selected on them) and the ones that are waiting, on a batch or
// on an upstream call, by depth. When every unfinished field waits, the batches queued at the
// shallowest depth anything waits at are sent, each key kind in one call: a shallower field still
// waiting may yet add keys at deeper depths, so those wait for it. A key first queued by a deeper field
// and then asked for by a shallower one moves up. The result is one call per (key kind, depth), with
// no timer on any level and no dependence on how fast goroutines are scheduled.
//
// A watchdog (Config.MaxWait) sends queued keys anyway when a field counted as running makes no
// progress for that long, which only an over-count could cause (a field announced that never runs);
// it leaves alone keys held on purpose while every field waits. While other operations of the process
// progress and this one does not, its fields are most likely waiting for a CPU (an overloaded gateway),
// so it looks again, up to ten times MaxWait in all, before it takes the stall for a miscount. Such
// flushes are counted in the trellis.loader.forced_flushes metric, and the end-to-end tests assert
// there are none.
//
// Children of abstract types (interfaces, unions; the schema has none today) are not counted ahead,
// since their fields depend on each object's concrete type: that under-count sends batches early (more
// calls, never a stall). Counting them is for when the schema first has one.
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
