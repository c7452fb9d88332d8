package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/internal/bufpool"
	"github.com/trellisgw/trellis/telemetry/requestid"
)

// PersistedQueries turns a request that names a stored document into one that carries it, before the
// document is parsed (package graph/persisted implements it).
type PersistedQueries interface {
	// Resolve fills p.Query from the document that p's extensions.persistedQuery or documentID names,
	// stores automatic registrations, and refuses what the configured mode does not allow. A nil
	// result lets the operation proceed; an error is answered as a request error (no execution).
	Resolve(ctx context.Context, p *graphql.RawParams, documentID string) *gqlerror.Error
}

// httpRequest is a decoded GraphQL-over-HTTP request, handed from decodeRequest to the executor
// through the request's context.
type httpRequest struct {
	media   string // the response media type
	method  string
	ops     []operation
	one     [1]operation // ops of a request that is not a batch
	batched bool
	// op is the state of the operation running: a batch's operations run one after another, each
	// from a fresh opState.
	op opState
}

type httpRequestKey struct{}

// requestOf returns the request decodeRequest put in ctx, or nil.
func requestOf(ctx context.Context) *httpRequest {
	req, _ := ctx.Value(httpRequestKey{}).(*httpRequest)
	return req
}

// decodeRequest checks and decodes a request to /graphql before anything else runs (the per-request
// middleware included): the Accept header (406), the method (405), the CSRF rule (400), the
// Content-Type of a POST (415), the body's size (413) and shape (400). Each refusal is a GraphQL
// response with one BAD_USER_INPUT error and a fixed message. A request it accepts goes on with
// cfg.RequestTimeout as its deadline, counted from its arrival here: no upstream call outlives it.
func decodeRequest(cfg Config, ins instruments, hv *headerValues, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline := time.Now().Add(cfg.RequestTimeout)
		media := negotiate(r.Header.Get("Accept"))
		if media == "" && r.Method != http.MethodOptions {
			ins.refuse(r.Context(), "not_acceptable")
			writeError(w, mediaJSON, http.StatusNotAcceptable, badInput(
				"the Accept header allows neither application/graphql-response+json nor application/json"))
			return
		}
		req := &httpRequest{media: media, method: r.Method}
		hv.addVaryAccept(w.Header())
		switch r.Method {
		case http.MethodGet, http.MethodPost:
		case http.MethodOptions:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			ins.refuse(r.Context(), "method")
			w.Header().Set("Allow", "GET, POST")
			writeError(w, media, http.StatusMethodNotAllowed, badInput("GraphQL requests use GET or POST"))
			return
		}
		if err := csrfRefusal(cfg.CSRFPrevention, r); err != nil {
			ins.refuse(r.Context(), "csrf")
			writeError(w, media, http.StatusBadRequest, err)
			return
		}
		if r.Method == http.MethodGet {
			op, err := decodeQueryString(r.URL.RawQuery)
			if err != nil {
				ins.refuse(r.Context(), "bad_user_input")
				writeError(w, media, http.StatusBadRequest, err)
				return
			}
			req.one[0] = op
			req.ops = req.one[:]
		} else {
			if mt, err := mediaType(r.Header.Get("Content-Type")); err != nil || mt != mediaJSON {
				ins.refuse(r.Context(), "content_type")
				writeError(w, media, http.StatusUnsupportedMediaType, badInput("the Content-Type of a POST request must be application/json"))
				return
			}
			if r.ContentLength > cfg.MaxBodyBytes {
				ins.refuse(r.Context(), "body_too_large")
				tooLarge(w, media, cfg.MaxBodyBytes)
				return
			}
			body, over, err := readBody(r.Body, r.ContentLength, cfg.MaxBodyBytes)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					// The server's read timeout (server.request_timeout in cmd/gateway) passed: the
					// client sent its body too slowly, or the request waited at the admission gate.
					e := errcode.New(errcode.RequestTimeout, "the request's deadline passed before its body was read")
					writeError(w, media, requestStatus(media, gqlerror.List{e}), e)
					return
				}
				writeError(w, media, http.StatusBadRequest, badInput("the request body could not be read"))
				return
			}
			if over {
				ins.refuse(r.Context(), "body_too_large")
				tooLarge(w, media, cfg.MaxBodyBytes)
				return
			}
			var gerr *gqlerror.Error
			if req.ops, req.batched, gerr = decodeBody(body, cfg.Batching, &req.one); gerr != nil {
				ins.refuse(r.Context(), "bad_user_input")
				writeError(w, media, http.StatusBadRequest, gerr)
				return
			}
		}
		// One derived request carries both the deadline and the decoded request.
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, httpRequestKey{}, req)))
	})
}

func tooLarge(w http.ResponseWriter, media string, limit int64) {
	w.Header().Set("Connection", "close") // the rest of the body is not read
	writeError(w, media, http.StatusRequestEntityTooLarge, badInput(fmt.Sprintf("the request body is larger than %d bytes", limit)))
}

// RequestContext derives the context of a request's operations from ctx, the request's context so
// far; w is the request's response writer (a part may keep its header map to set fields later).
type RequestContext func(ctx context.Context, w http.ResponseWriter, r *http.Request) context.Context

// executeHandler runs the operations decodeRequest put in the context and writes their responses.
type executeHandler struct {
	exec      *executor.Executor
	docs      documents
	persisted PersistedQueries
	log       *slog.Logger
	ins       instruments
	// buffers is Deps.Buffers: where a response's data goes once written.
	buffers *bufpool.Pool
	// cacheControl is Deps.CacheControl; nil: every response is no-store.
	cacheControl func(ctx context.Context, oc *graphql.OperationContext) string
	// contexts is Deps.RequestContext.
	contexts []RequestContext
	hv       *headerValues
	// contextsOf makes the operation contexts (nil: the executor does).
	contextsOf *operationContexts
}

// ServeHTTP implements http.Handler.
func (h executeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r.Context())
	if req == nil {
		writeError(w, mediaJSON, http.StatusInternalServerError, errcode.New(errcode.Internal, errInternal.Error()))
		return
	}
	ctx := r.Context()
	for _, derive := range h.contexts {
		ctx = derive(ctx, w, r)
	}
	ctx = graphql.StartOperationTrace(ctx)
	// The answer may differ by credentials (and by media type, which decodeRequest already varies by).
	h.hv.addVaryAuthorization(w.Header())
	if !req.batched {
		resp, status, getMutation := h.run(ctx, r, req, &req.ops[0])
		if getMutation {
			w.Header().Set("Allow", "POST")
			status = http.StatusMethodNotAllowed
		}
		if cc := h.cacheHeader(ctx, &req.ops[0], resp, status); cc == "no-store" {
			w.Header()["Cache-Control"] = h.hv.noStore
		} else {
			w.Header().Set("Cache-Control", cc)
		}
		h.hv.setContentType(w, req.media)
		w.WriteHeader(status)
		writeResponse(w, resp, h.buffers)
		h.buffers.Put(resp.Data) // written: the buffer the engine took goes back
		return
	}
	// A batch: each operation runs in turn, with every limit applied to it; the answer is 200 with one
	// response per operation, in order.
	resps := make([]*graphql.Response, len(req.ops))
	for i := range req.ops {
		resps[i], _, _ = h.run(ctx, r, req, &req.ops[i])
	}
	w.Header()["Cache-Control"] = h.hv.noStore // a batch is answered as one: not worth a policy
	h.hv.setContentType(w, req.media)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte{'['})
	for i, resp := range resps {
		if i > 0 {
			_, _ = w.Write([]byte{','})
		}
		writeResponse(w, resp, h.buffers)
	}
	_, _ = w.Write([]byte{']'})
	for _, resp := range resps {
		h.buffers.Put(resp.Data)
	}
}

// cacheHeader is the Cache-Control of one operation's response: no-store for errors (and refusals),
// mutations and fields without a hint; else what the operation's fields allow.
func (h executeHandler) cacheHeader(ctx context.Context, op *operation, resp *graphql.Response, status int) string {
	if h.cacheControl == nil || status != http.StatusOK || resp == nil || len(resp.Errors) > 0 || op.oc == nil {
		return "no-store"
	}
	return h.cacheControl(ctx, op.oc)
}

// run executes one operation and returns its response and HTTP status, and whether it was a
// mutation sent over GET (refused, not run).
func (h executeHandler) run(ctx context.Context, r *http.Request, req *httpRequest, op *operation) (resp *graphql.Response, status int, getMutation bool) {
	start := graphql.Now()
	req.op = opState{params: graphql.RawParams{
		Query:         op.Query,
		OperationName: op.OperationName,
		Variables:     op.Variables,
		Extensions:    op.Extensions,
		Headers:       r.Header,
		ReadTime:      graphql.TraceTiming{Start: start, End: start},
	}}
	st := &req.op
	params := &st.params
	if h.persisted != nil {
		if err := h.persisted.Resolve(ctx, params, op.DocumentID); err != nil {
			errs := gqlerror.List{err}
			h.ins.refuse(ctx, refusalReason(errs))
			return &graphql.Response{Errors: errs}, requestStatus(req.media, errs), false
		}
	}
	if params.Query == "" {
		if op.DocumentID != "" || params.Extensions["persistedQuery"] != nil {
			errs := gqlerror.List{errcode.New(errcode.PersistedNotSupported, "persisted queries are not enabled on this gateway")}
			return &graphql.Response{Errors: errs}, requestStatus(req.media, errs), false
		}
		return &graphql.Response{Errors: gqlerror.List{badInput("the request has no query")}}, http.StatusBadRequest, false
	}
	doc, errs := h.docs.load(ctx, params.Query)
	if errs != nil {
		return h.refuse(ctx, req, st, failedContext(ctx, params, nil), errs)
	}
	chosen, err := selectOperation(doc, params.OperationName)
	if err == nil {
		params.Variables, err = coerceVariables(h.docs.schema, chosen, params.Variables)
	}
	if err != nil {
		return h.refuse(ctx, req, st, failedContext(ctx, params, doc), gqlerror.List{err})
	}
	st.query, st.doc = params.Query, doc // handed to the executor (handedOver)
	oc, errs := h.operationContext(ctx, params, doc, chosen)
	if errs != nil {
		return h.refuse(ctx, req, st, oc, errs)
	}
	op.oc = oc
	handler, ctx := h.exec.DispatchOperation(ctx, oc)
	resp = handler(ctx)
	if resp == nil {
		// The executor answers nil when ctx ended before the operation ran: the deadline passed or the
		// client went away on the way here. Else only a stream ends with nil, and queries and
		// mutations have one response.
		return endedResponse(ctx, req.media)
	}
	resp.Errors = capErrors(resp.Errors)
	return resp, http.StatusOK, false
}

// endedResponse is the answer of an operation the executor did not run: REQUEST_TIMEOUT (504) when
// ctx's deadline passed, REQUEST_CANCELED when the client went away (nobody reads it), else
// INTERNAL_SERVER_ERROR (500).
func endedResponse(ctx context.Context, media string) (*graphql.Response, int, bool) {
	var e *gqlerror.Error
	switch err := ctx.Err(); {
	case errors.Is(err, context.DeadlineExceeded):
		e = errcode.New(errcode.RequestTimeout, "the request's deadline passed before it could run")
	case errors.Is(err, context.Canceled):
		e = errcode.New(errcode.RequestCanceled, "the request was canceled")
	default:
		e = internalError(ctx)
	}
	errs := gqlerror.List{e}
	return &graphql.Response{Errors: errs}, requestStatus(media, errs), false
}

// refuse answers an operation refused before execution with errs, through the executor's response
// interceptors.
func (h executeHandler) refuse(ctx context.Context, req *httpRequest, st *opState, oc *graphql.OperationContext, errs gqlerror.List) (*graphql.Response, int, bool) {
	if st.getMutation {
		h.ins.refuse(ctx, "get_mutation")
	} else {
		h.ins.refuse(ctx, refusalReason(errs))
	}
	resp := h.exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
	resp.Errors = capErrors(resp.Errors)
	return resp, requestStatus(req.media, resp.Errors), st.getMutation
}

// failedContext is the operation context of a request refused before the executor saw it, as the
// executor makes it for a document it refuses.
func failedContext(ctx context.Context, p *graphql.RawParams, doc *ast.QueryDocument) *graphql.OperationContext {
	return &graphql.OperationContext{
		RawQuery:             p.Query,
		OperationName:        p.OperationName,
		Extensions:           p.Extensions,
		Headers:              p.Headers,
		Doc:                  doc,
		DisableIntrospection: true,
		Stats:                graphql.Stats{Read: p.ReadTime, OperationStart: graphql.GetStartTime(ctx)},
	}
}

// recoverGraphQL answers a panic on the GraphQL path (outside the executor, which recovers its own)
// with HTTP 500 and INTERNAL_SERVER_ERROR carrying the request id; the panic and its stack go to the
// log with the same id.
func recoverGraphQL(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.LogAttrs(r.Context(), slog.LevelError, "graphql: panic",
					slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				writeError(w, mediaJSON, http.StatusInternalServerError, internalError(r.Context()))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// internalError is the INTERNAL_SERVER_ERROR clients see, with the request id to quote.
func internalError(ctx context.Context) *gqlerror.Error {
	e := errcode.New(errcode.Internal, errInternal.Error())
	if id := requestid.FromContext(ctx); id != "" {
		e.Extensions["requestId"] = id
	}
	return e
}

// WriteRequestError answers a GraphQL request that an HTTP middleware refuses before execution (an
// authentication failure, a rate limit) with err alone, in the media type the client negotiated: the
// status is errcode.HTTPStatus of err's code when it has one (401, 403, 429, 500), else what GraphQL
// over HTTP gives a request error in that media type. Middleware registered through Deps.PerRequest
// runs after the request was decoded, so the negotiated type is known; elsewhere it is application/json.
func WriteRequestError(w http.ResponseWriter, r *http.Request, err *gqlerror.Error) {
	media := mediaJSON
	if req := requestOf(r.Context()); req != nil {
		media = req.media
	}
	writeError(w, media, requestStatus(media, gqlerror.List{err}), err)
}
