// Package schemacheck compares two versions of a GraphQL schema and checks client operations against
// a proposed one, before it is deployed.
//
// Diff lists every change between an old and a new schema, each with a kind, the schema coordinate it
// touches (Type, Type.field, Type.field(arg:), Enum.VALUE, @directive, @directive(arg:)) and a level:
//
//   - breaking: an operation that was valid against the old schema may fail against the new one, or a
//     client may receive a value it cannot read (a removed field, argument or enum value; a type that
//     changed kind; an output type loosened or an input type tightened; a required argument or input
//     field added);
//   - dangerous: operations stay valid but may behave differently (an enum value or union member added,
//     which an exhaustive client switch does not know; a default value changed; an optional argument
//     added; a directive such as @authenticated or @cost applied or removed);
//   - safe: additions and documentation (a new type or field, a description, a deprecation).
//
// The kinds carry graphql-inspector's change type names (FIELD_REMOVED, ENUM_VALUE_ADDED, …), and the
// levels follow its documented rules (packages/core/src/diff/changes in kamilkisiela/graphql-inspector)
// except where the GraphQL specification says otherwise; kinds.go names each difference.
//
// Operations validates a set of client operations (a trusted-documents manifest or .graphql files) against
// a schema with gqlparser's validator, the same rules the gateway applies to a request.
//
// No maintained Go library diffs GraphQL schemas (graphql-inspector and graphql-js's findBreakingChanges
// are JavaScript; gqlparser and gqlgen have none), so the comparison is written here over gqlparser's
// ast.Schema, the representation the gateway already loads.
package schemacheck
