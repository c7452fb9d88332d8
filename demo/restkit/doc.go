// Package restkit holds the small pieces the sample REST services (accounts, products, reviews) share:
// the JSON error body and its codes, JSON response writing, strict JSON request decoding with a size
// limit, query-parameter parsing for batch keys and pagination, and a ServeMux wrapper that answers
// unknown routes, wrong methods and panics with the error body.
//
// Every non-2xx answer has Content-Type application/json and the body
//
//	{"error":{"code":"INVALID_ARGUMENT","message":"rating must be between 1 and 5","field":"rating"}}
//
// where field is omitted when the error is not about one field. Messages are short, meant for end users,
// and never echo more than MaxEcho bytes of client input.
package restkit
