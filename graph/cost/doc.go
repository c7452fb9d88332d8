// Package cost prices GraphQL operations with the IBM GraphQL Cost Directives
// (https://ibm.github.io/graphql-specs/cost-spec.html) and enforces a maximum per operation.
//
// # The model
//
// A Model is built once from the schema: for every field it holds the field's own weight (@cost on the
// field definition; Mutation root fields default to Config.MutationWeight), the weight of each object
// it returns (@cost on the type; composite types default to 1, scalars and enums to 0), the weights of
// its arguments, and how its list size is found (@listSize). An operation costs the sum over its
// fields, after fragments, inline fragments, aliases, @skip/@include and variables are resolved:
//
//	cost(field) = own weight + weights of the arguments given + size × (type weight + cost(children))
//
// size is 1 for a field that is not a list; for a list it is the value of the first slicing argument
// given (or one with a default), else @listSize's assumedSize, else Config.DefaultListSize. A field
// named in its parent's `sizedFields` (a Relay connection's edges and nodes) takes its parent's size.
// A field of an abstract type costs as much as its most expensive possible type. Introspection is
// priced like any other field, with the schema's own counts (types, fields per type, …) as list sizes.
// An operation that breaks `requireOneSlicingArgument` is refused. Pricing stops once the cost passes
// ten times Config.MaxCost or after 200 000 fields (Result.Partial), so that a small document whose
// fragments expand exponentially is refused cheaply.
//
// # Requested and actual cost
//
// Extension prices each operation after validation and before any resolver runs
// (graphql.OperationContextMutator): an operation over Config.MaxCost is refused with
// COST_LIMIT_EXCEEDED, and nothing executes. An operation whose price reads no variable (no variable
// sizes a list, weighs an argument or decides a @skip/@include) is priced once per cached document
// (internal/opmemo); one that does is priced per request. While the operation runs, the same
// extension counts the actual cost from what the resolvers returned: each field resolution adds its
// own weight and the type weight of every object it returned. The children of a list are resolved, and so counted, once per
// element, so the actual cost equals the requested cost when every list is full and nothing is null,
// and is lower otherwise. Counting in the field interceptor costs one map look-up and one atomic add
// per field; walking the response instead would decode the JSON the executor has just encoded (the
// reference response is 164 KB) and map it back onto the selection sets.
//
// Every response carries extensions.cost (requestedQueryCost, actualQueryCost and, when a Limiter is
// set, throttleStatus); the request header X-Trellis-Cost-Breakdown: 1 adds the cost of each field.
package cost
