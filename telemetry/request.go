package telemetry

import (
	"context"
	"sync"

	"github.com/trellisgw/trellis/upstreams/calltrace"
)

// TraceHeader asks for the fan-out plan (extensions.trace) when its value is "1".
const TraceHeader = "X-Trellis-Trace"

// request is what the middleware and the extensions learn about one request.
type request struct {
	id       string // the request id (package requestid), also in the context on its own
	calls    *calltrace.Recorder
	wantPlan bool // X-Trellis-Trace: 1
	refused  bool // … in production mode

	mu        sync.Mutex // guards the fields below, written by the extension
	operation string     // the operation's name, "" when none is known
	opType    string     // query, mutation, subscription; "" when none is known
	clientID  string     // identity.Caller's ClientID, UserID and Kind, when signed in
	userID    string
	kind      string
	// appName and appVersion are the client application's, as graph/usage read them from headers
	appName, appVersion string
	outcome             string // "" until a GraphQL response was made
	cost                int64  // -1 until SetCost
}

type requestKey struct{}

func withRequest(ctx context.Context, r *request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func requestFrom(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}
