package resilience

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff returns the wait before retry n (1 = the first retry): a uniform random duration in
// [0, min(base × 2^(n-1), max)] ("full jitter"), so that retries of many callers spread out.
// rnd returns a number in [0, 1); nil means math/rand/v2.
func Backoff(n int, base, maxWait time.Duration, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	ceiling := base
	for i := 1; i < n && ceiling < maxWait; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, maxWait)
	return time.Duration(rnd() * float64(ceiling+1))
}

// ParseRetryAfter reads an HTTP Retry-After value, delay-seconds or an HTTP date, relative to now.
// It returns 0 for an empty, malformed or past value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}
