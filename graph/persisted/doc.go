// Package persisted implements persisted queries for the gateway's GraphQL-over-HTTP transport
// (graph.PersistedQueries):
//
//   - Automatic persisted queries, the protocol Apollo clients speak: a request carries
//     extensions.persistedQuery {version: 1, sha256Hash} and no query; an unknown hash is answered
//     with PERSISTED_QUERY_NOT_FOUND, and the client sends the query with its hash, which registers it
//     (a hash that is not the query's SHA-256 is refused with BAD_USER_INPUT). Queries are stored
//     through the cache package's Cache, so that a shared backend can replace the in-process one.
//   - Trusted documents: with a manifest file, only the operations it lists run, named by id (the
//     sha256Hash above, or the documentId member graphql-codegen's client preset sends) or sent as
//     their exact text; anything else is refused with PERSISTED_QUERY_NOT_IN_LIST. The manifest is
//     either Apollo's persisted-query manifest or the plain {"<id>": "<document>"} map that Relay and
//     graphql-codegen emit. Automatic registration is off in this mode.
package persisted
