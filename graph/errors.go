package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

// errInternal is what clients see of a fault that is not theirs and not an upstream's: a panic or an
// error without a code. The details go to the log only.
var errInternal = errors.New("internal error")

// presentError gives every error a stable extensions.code and a message that is safe to show:
// upstream failures become UPSTREAM_* (or BAD_USER_INPUT with the upstream's validation message),
// errors that already carry a code pass through, and anything else becomes INTERNAL_SERVER_ERROR with
// a fixed message. Every error that hides details is logged once with them.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		out := graphql.DefaultErrorPresenter(ctx, err) // carries the path and locations
		var up *upstreamerr.Error
		if errors.As(err, &up) {
			return presentUpstream(ctx, log, out, err, up)
		}
		if errcode.Code(out) != "" && out.Err == nil {
			return out // ours, or gqlgen's parse/validation errors: safe as they are
		}
		var gqlErr *gqlerror.Error
		if out.Err != nil && errors.As(out.Err, &gqlErr) && errcode.Code(gqlErr) != "" {
			return withPlace(errcode.New(errcode.Code(gqlErr), gqlErr.Message), out, gqlErr.Extensions)
		}
		msg := errInternal.Error()
		if _, ok := errors.AsType[*graphql.InvalidNullError](err); ok {
			msg = "a field the schema declares non-null resolved to null" // a gateway bug, not the client's
		}
		// Anything else (a resolver's plain error, a transport message of gqlgen's that may quote the
		// request) is shown as a fixed message only.
		log.LogAttrs(ctx, slog.LevelError, "graphql: internal error",
			slog.String("path", out.Path.String()), slog.String("error", err.Error()))
		e := internalError(ctx)
		e.Message = msg
		return withPlace(e, out, nil)
	}
}

// presentUpstream maps an upstream failure to its client-visible error. The failure is logged once with
// its details, at the first field it reaches: a failed batch call nulls every field that waited on it.
func presentUpstream(ctx context.Context, log *slog.Logger, out *gqlerror.Error, err error, up *upstreamerr.Error) *gqlerror.Error {
	first := up.FirstReport()
	var msg, code string
	switch up.Code {
	case upstreamerr.BadInput:
		if first {
			log.LogAttrs(ctx, slog.LevelDebug, "graphql: upstream refused input",
				slog.String("path", out.Path.String()), slog.String("upstream", up.Upstream), slog.String("error", err.Error()))
		}
		e := errcode.BadInput(up.Field, up.Message)
		return withPlace(e, out, e.Extensions)
	case upstreamerr.Canceled:
		// The client gave up: nothing failed upstream, so nothing is worth a warning.
		if first {
			log.LogAttrs(ctx, slog.LevelDebug, "graphql: request canceled by the client",
				slog.String("path", out.Path.String()), slog.String("upstream", up.Upstream), slog.String("op", up.Op))
		}
		return withPlace(errcode.New(errcode.RequestCanceled, "the request was canceled"), out, nil)
	case upstreamerr.Timeout:
		code, msg = errcode.UpstreamTimeout, fmt.Sprintf("the %s service did not answer in time", up.Upstream)
	case upstreamerr.Unavailable:
		code, msg = errcode.UpstreamUnavailable, fmt.Sprintf("the %s service is unavailable", up.Upstream)
	default:
		code, msg = errcode.UpstreamError, fmt.Sprintf("the %s service failed", up.Upstream)
	}
	if first {
		log.LogAttrs(ctx, slog.LevelWarn, "graphql: upstream error",
			slog.String("path", out.Path.String()), slog.String("upstream", up.Upstream),
			slog.String("op", up.Op), slog.String("code", code), slog.String("error", err.Error()))
	}
	return withPlace(errcode.New(code, msg), out, nil)
}

// withPlace copies the path and locations of from onto e, and extra extensions.
func withPlace(e, from *gqlerror.Error, ext map[string]any) *gqlerror.Error {
	e.Path, e.Locations = from.Path, from.Locations
	for k, v := range ext {
		e.Extensions[k] = v
	}
	return e
}

// recoverPanic turns a resolver panic into an internal error, logging the panic and its stack.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.LogAttrs(ctx, slog.LevelError, "graphql: panic in resolver",
			slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
		return errInternal
	}
}
