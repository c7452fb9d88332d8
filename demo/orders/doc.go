// Package orders is the sample orders service: the gRPC OrderService over the generated data set's
// orders plus the orders placed while the process runs. One Server is meant to be shared by all
// replicas of the service in a process, so that an order placed on one replica is visible on all.
package orders
