package graph

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"testing/iotest"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/trellisgw/trellis/graph/errcode"
)

// TestDeadlinePassedBeforeExecution: a request whose deadline passes on its way to the executor (in a
// slow middleware, or admitted by the gate at the last moment) is answered 504 REQUEST_TIMEOUT, not
// 500; one whose client went away meanwhile, REQUEST_CANCELED. Nothing runs either way.
func TestDeadlinePassedBeforeExecution(t *testing.T) {
	tests := []struct {
		name       string
		end        func(r *http.Request) *http.Request // how the context ends in the middleware
		wantStatus int
		wantCode   string
	}{
		{name: "deadline", end: func(r *http.Request) *http.Request {
			<-r.Context().Done() // server.request_timeout below: 20ms
			return r
		}, wantStatus: http.StatusGatewayTimeout, wantCode: errcode.RequestTimeout},
		{name: "client gone", end: func(r *http.Request) *http.Request {
			ctx, cancel := context.WithCancel(r.Context())
			cancel()
			return r.WithContext(ctx)
		}, wantStatus: http.StatusOK, wantCode: errcode.RequestCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slow := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, tt.end(r)) })
			}
			p := &probe{}
			h := newTestHandler(t, Config{RequestTimeout: 20 * time.Millisecond},
				Deps{PerRequest: slow, Extensions: []graphql.HandlerExtension{p}})
			rec := postQuery(t, h, "{ __typename }", "application/json")
			var resp gqlResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if rec.Code != tt.wantStatus || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != tt.wantCode || resp.Data != nil {
				t.Fatalf("%d %s, want %d and one %s error, no data", rec.Code, rec.Body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// deadlineBody is a request body whose read fails as net/http's does once the server's read timeout
// has passed.
type deadlineBody struct{}

func (deadlineBody) Read([]byte) (int, error) {
	return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
}

// TestBodyReadPastTheReadTimeout: a body the server's read timeout cut off (a slow client, or a long
// wait at the admission gate) is answered 504 REQUEST_TIMEOUT, not 400 as if the body were bad; any
// other failure to read it stays 400 BAD_USER_INPUT.
func TestBodyReadPastTheReadTimeout(t *testing.T) {
	for _, tc := range []struct {
		name       string
		body       io.Reader
		wantStatus int
		wantCode   string
	}{
		{"read timeout", deadlineBody{}, http.StatusGatewayTimeout, errcode.RequestTimeout},
		{"other failure", iotest.ErrReader(errors.New("connection reset")), http.StatusBadRequest, errcode.BadUserInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &probe{}
			h := newTestHandler(t, Config{}, Deps{Extensions: []graphql.HandlerExtension{p}})
			req := httptest.NewRequest(http.MethodPost, "/graphql", tc.body)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var resp gqlResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if rec.Code != tc.wantStatus || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != tc.wantCode || p.ran.Load() != 0 {
				t.Fatalf("%d %s (ran %d), want %d and one %s error", rec.Code, rec.Body, p.ran.Load(), tc.wantStatus, tc.wantCode)
			}
		})
	}
}
