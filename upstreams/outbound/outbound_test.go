package outbound

import (
	"context"
	"net/http"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

func TestSetHeaders(t *testing.T) {
	h := New(map[string][]Field{"accounts": {{Key: "X-User-Id", Value: "42"}}})
	tests := []struct {
		name, upstream string
		ctx            context.Context
		want           string
	}{
		{name: "configured upstream", upstream: "accounts", ctx: NewContext(context.Background(), h), want: "42"},
		{name: "other upstream", upstream: "products", ctx: NewContext(context.Background(), h), want: "spoofed"},
		{name: "no headers in context", upstream: "accounts", ctx: context.Background(), want: "spoofed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{"X-User-Id": {"spoofed"}}
			SetHeaders(tt.ctx, tt.upstream, hdr)
			if got := hdr.Get("X-User-Id"); got != tt.want {
				t.Errorf("X-User-Id = %q, want %q", got, tt.want)
			}
			if n := len(hdr.Values("X-User-Id")); n != 1 {
				t.Errorf("%d values, want 1", n)
			}
		})
	}
}

func TestUnaryClientInterceptorReplaces(t *testing.T) {
	h := New(map[string][]Field{"orders": {{Key: "x-user-id", Value: "42"}}})
	ctx := NewContext(context.Background(), h)
	ctx = metadata.AppendToOutgoingContext(ctx, "x-user-id", "spoofed", "x-other", "kept")
	var got metadata.MD
	invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		got, _ = metadata.FromOutgoingContext(ctx)
		return nil
	}
	if err := UnaryClientInterceptor("orders")(ctx, "/m", nil, nil, nil, invoker); err != nil {
		t.Fatal(err)
	}
	if v := got.Get("x-user-id"); len(v) != 1 || v[0] != "42" {
		t.Errorf("x-user-id = %q, want [42]", v)
	}
	if v := got.Get("x-other"); len(v) != 1 || v[0] != "kept" {
		t.Errorf("x-other = %q, want [kept]", v)
	}
}

func TestStringRedacts(t *testing.T) {
	h := New(map[string][]Field{"a": {{Key: "Authorization", Value: "Bearer secret"}}})
	if s := h.String(); s != "outbound.Headers{redacted}" {
		t.Errorf("String() = %q", s)
	}
}
