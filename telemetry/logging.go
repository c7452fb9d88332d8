package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/trellisgw/trellis/telemetry/requestid"
)

// WrapHandler returns a slog handler that adds request_id and trace_id to every record logged with
// the context of a request (slog's *Context methods and LogAttrs), so that an internal error logged
// deep in a request can be found from its access line. It is the one handler that does: wrapping a
// handler it already made returns that handler, so each key appears once per line.
func WrapHandler(h slog.Handler) slog.Handler {
	if c, ok := h.(contextHandler); ok {
		return c
	}
	return contextHandler{h}
}

type contextHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if id := requestid.FromContext(ctx); id != "" {
			r.AddAttrs(slog.String("request_id", id))
		}
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
		}
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
