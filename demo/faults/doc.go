// Package faults holds the run-time state of one sample service instance: the fault it was told to
// inject (added latency, error rate, down) and the number of calls it served per route. It provides
// the HTTP middleware and gRPC interceptors that apply the fault and count the calls.
//
// Down is recorded here but acted upon by the owner of the instance's listener (package demo), which
// closes the listener and its connections while an instance is down.
package faults
