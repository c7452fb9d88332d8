// Package outbound carries, in a request's context, what each upstream is told about the caller: the
// headers of REST calls and the metadata of gRPC calls. The authentication middleware (graph/auth)
// computes them once per request from the verified caller and the per-upstream propagation config; the
// REST transport (upstreams/rest) and the gRPC interceptor here apply them to every call.
//
// The gateway builds every upstream request itself, so nothing a client sends reaches an upstream
// unless it is listed here: a client cannot set an identity header of its own.
package outbound

import (
	"context"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Field is one header (REST) or metadata entry (gRPC) sent to an upstream.
type Field struct {
	// Key is the header name or metadata key.
	Key string
	// Value is its value. It may be a credential (a forwarded Authorization header): never log it.
	Value string
}

// Headers are the fields each upstream receives, by upstream name. A nil *Headers sends nothing. It
// is immutable once made and safe for concurrent use.
type Headers struct {
	byUpstream map[string][]Field
}

// New returns the headers that send fields[upstream] to each upstream. fields is not copied: do not
// change it afterwards.
func New(fields map[string][]Field) *Headers { return &Headers{byUpstream: fields} }

// For returns the fields sent to upstream.
func (h *Headers) For(upstream string) []Field {
	if h == nil {
		return nil
	}
	return h.byUpstream[upstream]
}

// String never shows the values, which may be credentials.
func (h *Headers) String() string { return "outbound.Headers{redacted}" }

type ctxKey struct{}

// NewContext returns ctx carrying h.
func NewContext(ctx context.Context, h *Headers) context.Context {
	return context.WithValue(ctx, ctxKey{}, h)
}

// FromContext returns the headers in ctx, or nil.
func FromContext(ctx context.Context) *Headers {
	h, _ := ctx.Value(ctxKey{}).(*Headers)
	return h
}

// SetHeaders sets on hdr the fields ctx carries for upstream, replacing any value hdr had.
func SetHeaders(ctx context.Context, upstream string, hdr http.Header) {
	for _, f := range FromContext(ctx).For(upstream) {
		hdr.Set(f.Key, f.Value)
	}
}

// UnaryClientInterceptor sends the fields ctx carries for upstream as outgoing metadata of every
// unary call, replacing any value the outgoing context had for the same keys.
func UnaryClientInterceptor(upstream string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if fields := FromContext(ctx).For(upstream); len(fields) > 0 {
			md, _ := metadata.FromOutgoingContext(ctx)
			md = md.Copy()
			for _, f := range fields {
				md.Set(f.Key, f.Value)
			}
			ctx = metadata.NewOutgoingContext(ctx, md)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
