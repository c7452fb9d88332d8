// Package hotpaths holds the Go benchmarks (testing.B) of the gateway's hot paths, one per step of a
// request: decoding the request, parsing and validating it with the document cache, executing the
// reference query against the sample services on loopback (and the floor doing the same work), the
// same from 256 clients at once with the admission gate on and off (the peak heap it saves), and
// encoding the response; and the upstream clients the gateway and the floor share, one batched REST
// call and one gRPC call against the same services. Compare two commits with benchstat (README, "Benchmarks").
//
// It has no code of its own outside its tests.
package hotpaths
