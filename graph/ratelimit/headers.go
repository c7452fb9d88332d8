package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// The response header fields this package sets (draft-ietf-httpapi-ratelimit-headers, structured
// form of drafts 09 to 11; the quota unit is the cost point).
const (
	HeaderPolicy     = "RateLimit-Policy"
	HeaderRateLimit  = "RateLimit"
	HeaderRetryAfter = "Retry-After"
)

// SetHeaders sets RateLimit-Policy (`"<plan>";q=<capacity>;w=<seconds to refill from empty>`) and
// RateLimit (`"<plan>";r=<points left>;t=<seconds until full>`) on h, and Retry-After when retryAfter
// is positive. h may be nil (no HTTP response to set them on).
func SetHeaders(h http.Header, s Status, retryAfter time.Duration) {
	if h == nil || s.Plan == "" || s.RestoreRate <= 0 {
		return
	}
	window := int64(math.Ceil(float64(s.Capacity) / float64(s.RestoreRate)))
	h.Set(HeaderPolicy, `"`+s.Plan+`";q=`+strconv.Itoa(s.Capacity)+`;w=`+strconv.FormatInt(window, 10))
	remaining := max(0, int64(math.Floor(s.Available)))
	untilFull := int64(math.Ceil((float64(s.Capacity) - s.Available) / float64(s.RestoreRate)))
	h.Set(HeaderRateLimit, `"`+s.Plan+`";r=`+strconv.FormatInt(remaining, 10)+`;t=`+strconv.FormatInt(max(0, untilFull), 10))
	if retryAfter > 0 {
		h.Set(HeaderRetryAfter, strconv.FormatInt(int64(math.Ceil(retryAfter.Seconds())), 10))
	}
}
