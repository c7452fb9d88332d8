// Package admin is the admin HTTP endpoint of the sample services process and a typed client for it.
// Tests use it to read and reset the per-instance call counts and to inject faults:
//
//	GET  /admin/calls                          per service, per instance: calls per route
//	POST /admin/calls/reset                    204
//	GET  /admin/faults                         per service, per instance: the current fault
//	PUT  /admin/faults/{service}/{instance}    body: Fault JSON; instance is a number or "*"
//	GET  /admin/instances                      service -> instance addresses
//
// Errors are JSON: {"error":{"code":"NOT_FOUND","message":"..."}}.
package admin
