// Package floor is the benchmark's floor: a hand-written net/http handler, with no GraphQL at all,
// that answers the benchmark's operations (the reference query, the small query, the mutation and the
// cached scenario's query shapes: a product page, a user profile, the top products) by
// calling the same sample services through the same typed upstream clients (same http.Transport
// settings, same gRPC connections, same JSON decoding of upstream bodies), with the same batching
// (one call per upstream and key kind per level, levels in the same order, keys deduplicated), and
// writing byte-for-byte the gateway's JSON up to the end of data. The gateway adds top-level
// extensions after data (the operation's cost, about 70 bytes) that the floor does not compute.
//
// It is what a perfect gateway could not beat on this machine: `make bench` (cmd/bench) reports the
// gateway's figures as ratios of the floor's. It recognises exactly the operations of the benchmark,
// by their text, and answers anything else 400. It is a measuring instrument, not a product: it has no
// authentication (the caller's user id comes from a header, as in the benchmark's gateway), no error
// handling beyond answering 502 when an upstream fails, and no cache: every operation fetches every
// level from the services (in the cached scenario it is the uncached baseline).
package floor
