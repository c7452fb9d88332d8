// Package demo runs the sample shop services in one process: the REST services accounts, products
// and reviews, the gRPC services inventory and orders, each as one or more instances (replicas) on
// consecutive ports, plus one admin HTTP endpoint (package admin) that reads and resets per-instance
// call counts and injects faults (package faults).
//
// Start returns a Cluster with everything listening; Close stops it all. cmd/demo-services wraps it
// in a process; tests can start a Cluster in-process:
//
//	c, err := demo.Start(ctx, demo.Config{Replicas: 2})
//	...
//	defer c.Close()
//	c.SetFault(demo.Orders, 1, faults.Fault{Down: true})
package demo
