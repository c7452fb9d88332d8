//go:build tools

// Package tools pins the versions of the code generators used by `make generate`.
package tools

import (
	_ "github.com/99designs/gqlgen"
	_ "google.golang.org/grpc/cmd/protoc-gen-go-grpc"
	_ "google.golang.org/protobuf/cmd/protoc-gen-go"
)
