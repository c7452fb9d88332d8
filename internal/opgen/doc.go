// Package opgen generates random, valid GraphQL operations over a schema, for differential and fuzz
// tests of an executor: the same operation is sent to the executor under test and to an oracle, and
// their answers are compared.
//
// A Generator works from the *ast.Schema alone (object, interface and union types alike), so that types
// added to the schema later are exercised without changing it. Each operation it returns is checked with
// gqlparser's validator and with its variables coerced; one that fails is generated again (Stats counts
// those rejects, a test keeps them rare). Operations use aliases (the same field twice under different
// aliases and arguments, and the same response key repeated so that it merges), named fragments
// (nested, spread more than once) and inline fragments on every type condition that can apply,
// __typename, @skip and @include with literal and variable conditions, and arguments as literals or
// variables, with and without defaults. Argument values come from Config.Values when it knows the
// argument (ids that exist in a data set, and some that do not), else from their type.
//
// Randomness comes from a *rand.Rand (a seed reproduces an operation) or from fuzz bytes (FromBytes),
// which are read as the generator's random numbers so that a small change of the input is a small
// change of the operation.
package opgen
