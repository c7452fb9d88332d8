package restkit

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// DeadlineHeader is the header through which a caller (the Trellis gateway) says how many whole
// milliseconds it will still wait for the answer.
const DeadlineHeader = "Request-Timeout-Ms"

// maxDeadline caps the deadline a header may ask for.
const maxDeadline = 10 * time.Minute

// withCallerDeadline returns r with its context bounded by the caller's DeadlineHeader, when it has a
// valid one (1..600000), and the cancel func to call when the request is served.
func withCallerDeadline(r *http.Request) (*http.Request, context.CancelFunc) {
	v := r.Header.Get(DeadlineHeader)
	if v == "" {
		return r, func() {}
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms < 1 || time.Duration(ms)*time.Millisecond > maxDeadline {
		return r, func() {}
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(ms)*time.Millisecond)
	return r.WithContext(ctx), cancel
}
