package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newLog returns a logger that writes JSON lines into the returned buffer.
func newLog() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// hiddenDetail is detail that must reach the log and never a client.
const hiddenDetail = "dial tcp 10.9.8.7:4101: connect: connection refused (token=s3cr3t)"

func TestPresentError(t *testing.T) {
	path := ast.Path{ast.PathName("topProducts"), ast.PathIndex(1), ast.PathName("inStock")}
	locs := []gqlerror.Location{{Line: 1, Column: 17}}
	// wrap wraps err the way gqlgen does when a resolver returns it, with a location.
	wrap := func(err error) error {
		e := gqlerror.WrapPath(path, err)
		e.Locations = locs
		return e
	}
	up := func(code upstreamerr.Code) *upstreamerr.Error {
		return &upstreamerr.Error{Upstream: "inventory", Op: "/trellis.inventory.v1.InventoryService/GetStock",
			Code: code, Err: errors.New(hiddenDetail)}
	}
	coded := errcode.New(errcode.Forbidden, "you may only see your own orders")
	coded.Path, coded.Locations = path, locs
	gqlgenMsg := gqlerror.ErrorPathf(path, "must not be null")
	gqlgenMsg.Locations = locs

	tests := []struct {
		name     string
		err      error
		wantMsg  string
		wantExt  map[string]any
		wantSame bool     // the presented error is err itself
		wantLog  []string // substrings of the log; nil means nothing is logged
	}{
		{
			name: "upstream unavailable", err: wrap(up(upstreamerr.Unavailable)),
			wantMsg: "the inventory service is unavailable",
			wantExt: map[string]any{"code": errcode.UpstreamUnavailable},
			wantLog: []string{hiddenDetail, "GetStock", `"upstream":"inventory"`, `"path":"topProducts[1].inStock"`, errcode.UpstreamUnavailable},
		},
		{
			name: "upstream timeout", err: wrap(up(upstreamerr.Timeout)),
			wantMsg: "the inventory service did not answer in time",
			wantExt: map[string]any{"code": errcode.UpstreamTimeout},
			wantLog: []string{hiddenDetail, errcode.UpstreamTimeout},
		},
		{
			name: "client gave up", err: wrap(up(upstreamerr.Canceled)),
			wantMsg: "the request was canceled",
			wantExt: map[string]any{"code": errcode.RequestCanceled},
			wantLog: []string{`"level":"DEBUG"`, "canceled by the client", `"upstream":"inventory"`},
		},
		{
			name: "upstream failed", err: wrap(up(upstreamerr.Failed)),
			wantMsg: "the inventory service failed",
			wantExt: map[string]any{"code": errcode.UpstreamError},
			wantLog: []string{hiddenDetail, errcode.UpstreamError},
		},
		{
			name: "upstream not found that reached the client", err: wrap(up(upstreamerr.NotFound)),
			wantMsg: "the inventory service failed",
			wantExt: map[string]any{"code": errcode.UpstreamError},
			wantLog: []string{hiddenDetail},
		},
		{
			name: "upstream error wrapped with context", err: wrap(fmt.Errorf("load stock: %w", up(upstreamerr.Unavailable))),
			wantMsg: "the inventory service is unavailable",
			wantExt: map[string]any{"code": errcode.UpstreamUnavailable},
			wantLog: []string{hiddenDetail},
		},
		{
			name: "upstream bad input",
			err: wrap(&upstreamerr.Error{Upstream: "orders", Op: "PlaceOrder", Code: upstreamerr.BadInput,
				Message: "quantity must be between 1 and 99", Field: "quantity", Err: errors.New(hiddenDetail)}),
			wantMsg: "quantity must be between 1 and 99",
			wantExt: map[string]any{"code": errcode.BadUserInput, "field": "quantity"},
			wantLog: []string{hiddenDetail, `"level":"DEBUG"`, `"upstream":"orders"`},
		},
		{
			name: "upstream bad input without field",
			err: wrap(&upstreamerr.Error{Upstream: "reviews", Op: "POST /reviews", Code: upstreamerr.BadInput,
				Message: "body is too long", Err: errors.New(hiddenDetail)}),
			wantMsg: "body is too long",
			wantExt: map[string]any{"code": errcode.BadUserInput},
			wantLog: []string{hiddenDetail, `"level":"DEBUG"`},
		},
		{
			name: "coded error passes through", err: coded, wantSame: true,
			wantMsg: "you may only see your own orders",
			wantExt: map[string]any{"code": errcode.Forbidden},
		},
		{
			name: "coded error wrapped by gqlgen", err: wrap(errcode.BadInput("first", "first must be between 0 and 100")),
			wantMsg: "first must be between 0 and 100",
			wantExt: map[string]any{"code": errcode.BadUserInput, "field": "first"},
		},
		{
			// gqlgen's own messages may quote the request (its transports echo bodies), so they are
			// not shown either.
			name: "code-less gqlgen message", err: gqlgenMsg,
			wantMsg: "internal error",
			wantExt: map[string]any{"code": errcode.Internal},
			wantLog: []string{"must not be null"},
		},
		{
			name: "non-null violation", err: wrap(&graphql.InvalidNullError{Object: "Product", Field: "name", Path: ast.Path{ast.PathName("topProducts")}}),
			wantMsg: "a field the schema declares non-null resolved to null",
			wantExt: map[string]any{"code": errcode.Internal},
			wantLog: []string{"Product"},
		},
		{
			name: "plain error", err: wrap(errors.New("db password=" + hiddenDetail)),
			wantMsg: "internal error",
			wantExt: map[string]any{"code": errcode.Internal},
			wantLog: []string{"db password=" + hiddenDetail, `"path":"topProducts[1].inStock"`},
		},
		{
			name: "plain error in a gqlerror with a message of its own",
			err: func() error {
				e := wrap(errors.New(hiddenDetail)).(*gqlerror.Error)
				e.Message = "custom: " + hiddenDetail
				return e
			}(),
			wantMsg: "internal error",
			wantExt: map[string]any{"code": errcode.Internal},
			wantLog: []string{hiddenDetail},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := newLog()
			got := presentError(log)(context.Background(), tt.err)
			if got == nil {
				t.Fatal("presented nil")
			}
			if got.Message != tt.wantMsg {
				t.Errorf("message = %q, want %q", got.Message, tt.wantMsg)
			}
			if diff := cmp.Diff(got.Extensions, tt.wantExt); diff != "" {
				t.Errorf("extensions (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(got.Path, path); diff != "" {
				t.Errorf("path (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(got.Locations, locs); diff != "" {
				t.Errorf("locations (-got +want):\n%s", diff)
			}
			if tt.wantSame && got != tt.err {
				t.Errorf("presented %#v, want the error itself", got)
			}
			shown, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{hiddenDetail, "s3cr3t", "10.9.8.7", "GetStock", "PlaceOrder", "password"} {
				if strings.Contains(string(shown), leak) {
					t.Errorf("client sees %q: %s", leak, shown)
				}
			}
			logged := buf.String()
			if tt.wantLog == nil && logged != "" {
				t.Errorf("logged %s, want nothing", logged)
			}
			for _, want := range tt.wantLog {
				if !strings.Contains(logged, want) {
					t.Errorf("log lacks %q:\n%s", want, logged)
				}
			}
			if n := strings.Count(logged, "\n"); tt.wantLog != nil && n != 1 {
				t.Errorf("logged %d lines, want 1:\n%s", n, logged)
			}
		})
	}
}

// TestPresentErrorTakesPathFromContext covers a resolver error that gqlgen hands over unwrapped, with the
// field's path in the context.
func TestPresentErrorTakesPathFromContext(t *testing.T) {
	log, buf := newLog()
	ctx := graphql.WithPathContext(context.Background(), graphql.NewPathWithField("me"))
	got := presentError(log)(ctx, errors.New(hiddenDetail))
	if got.Message != "internal error" || errcode.Code(got) != errcode.Internal {
		t.Errorf("presented %q %v, want internal error", got.Message, got.Extensions)
	}
	if diff := cmp.Diff(got.Path, ast.Path{ast.PathName("me")}); diff != "" {
		t.Errorf("path (-got +want):\n%s", diff)
	}
	if !strings.Contains(buf.String(), hiddenDetail) {
		t.Errorf("log lacks the detail:\n%s", buf.String())
	}

	buf.Reset()
	got = presentError(log)(ctx, &upstreamerr.Error{Upstream: "accounts", Op: "GET /users", Code: upstreamerr.Timeout,
		Err: errors.New(hiddenDetail)})
	if got.Message != "the accounts service did not answer in time" || errcode.Code(got) != errcode.UpstreamTimeout {
		t.Errorf("presented %q %v, want an upstream timeout", got.Message, got.Extensions)
	}
	if diff := cmp.Diff(got.Path, ast.Path{ast.PathName("me")}); diff != "" {
		t.Errorf("path (-got +want):\n%s", diff)
	}
}

func TestRecoverPanic(t *testing.T) {
	log, buf := newLog()
	ctx := graphql.WithPathContext(context.Background(), graphql.NewPathWithField("order"))
	err := recoverPanic(log)(ctx, "runtime error: index out of range "+hiddenDetail)
	if err == nil {
		t.Fatal("recoverPanic returned nil")
	}
	if strings.Contains(err.Error(), hiddenDetail) {
		t.Errorf("the recovered error carries the panic: %v", err)
	}
	logged := buf.String()
	for _, want := range []string{"panic in resolver", hiddenDetail, "goroutine", "TestRecoverPanic"} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %q:\n%s", want, logged)
		}
	}

	buf.Reset()
	got := presentError(log)(ctx, err)
	if got.Message != "internal error" || errcode.Code(got) != errcode.Internal {
		t.Errorf("presented %q %v, want internal error", got.Message, got.Extensions)
	}
	if diff := cmp.Diff(got.Path, ast.Path{ast.PathName("order")}); diff != "" {
		t.Errorf("path (-got +want):\n%s", diff)
	}
}

// A failed batch call reaches every field that waited on it: each field gets its own error at its
// path, and the failure is logged once.
func TestSharedUpstreamFailureIsLoggedOnce(t *testing.T) {
	log, buf := newLog()
	present := presentError(log)
	for _, failure := range []*upstreamerr.Error{
		{Upstream: "accounts", Op: "GET /users", Code: upstreamerr.Unavailable, Err: errors.New(hiddenDetail)},
		{Upstream: "reviews", Op: "POST /reviews", Code: upstreamerr.BadInput, Message: "body: too short", Err: errors.New(hiddenDetail)},
	} {
		buf.Reset()
		for i := range 3 {
			path := ast.Path{ast.PathName("topProducts"), ast.PathIndex(i), ast.PathName("author")}
			got := present(context.Background(), gqlerror.WrapPath(path, failure))
			if diff := cmp.Diff(got.Path, path); diff != "" {
				t.Errorf("%s: error %d path (-got +want):\n%s", failure.Upstream, i, diff)
			}
			if got.Message == "" || errcode.Code(got) == "" {
				t.Errorf("%s: error %d = %+v, want a message and a code", failure.Upstream, i, got)
			}
		}
		if lines := strings.Count(buf.String(), "\n"); lines != 1 {
			t.Errorf("%s: %d log lines for one failure shared by 3 fields, want 1:\n%s", failure.Upstream, lines, buf.String())
		}
	}
}
