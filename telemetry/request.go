package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/trellisgw/trellis/upstreams/calltrace"
)

// RequestIDHeader carries the request id: honoured when a client or proxy sends a well-formed one,
// generated otherwise, and echoed in every response.
const RequestIDHeader = "X-Request-Id"

// TraceHeader asks for the fan-out plan (extensions.trace) when its value is "1".
const TraceHeader = "X-Trellis-Trace"

// request is what the middleware and the extensions learn about one request.
type request struct {
	id       string
	calls    *calltrace.Recorder
	wantPlan bool // X-Trellis-Trace: 1
	refused  bool // … in production mode

	mu        sync.Mutex // guards the fields below, written by the extension
	operation string     // the operation's name, "" when none is known
	opType    string     // query, mutation, subscription; "" when none is known
	clientID  string     // identity.Caller's ClientID, UserID and Kind, when signed in
	userID    string
	kind      string
	outcome   string // "" until a GraphQL response was made
	cost      int64  // -1 until SetCost
}

type requestKey struct{}

func withRequest(ctx context.Context, r *request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func requestFrom(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// maxRequestIDLen bounds an honoured X-Request-Id.
const maxRequestIDLen = 64

// requestID returns in when it is a well-formed request id (1 to 64 of A-Z a-z 0-9 - _ . : ), else
// a new random one (32 hex digits).
func requestID(in string) string {
	if validRequestID(in) {
		return in
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}
