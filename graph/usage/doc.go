// Package usage counts which parts of the schema client applications use, so that a field is removed
// only once nobody selects it: per client application and version (read from the
// apollographql-client-name/-version headers, or configured ones, bounded like operation names), per
// operation name, over rolling periods, in memory or in a Redis shared by the fleet. Deprecated
// elements are counted the same way and listed on their own (GET /admin/schema/deprecations), and a
// response may warn about them (extensions.deprecations).
//
// The per-request cost is one map update: the coordinates an operation uses are computed once per
// parsed document (coordinates.go) and multiplied out only when counts are flushed.
package usage
