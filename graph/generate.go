// Package graph assembles the GraphQL HTTP handler: the gqlgen executor generated from schema/ (in
// graph/generated and graph/model), its transports, extensions, error presenter and query cache.
package graph

//go:generate sh -c "cd .. && go run github.com/99designs/gqlgen generate"
