package entitycache

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Freshness is what an upstream answer's Cache-Control allows a shared cache such as this one.
type Freshness struct {
	// NoStore: the answer must not be kept (no-store).
	NoStore bool
	// NoCache: the answer may be kept but must be revalidated before each use (no-cache): it is stored
	// stale at once, and only when it carries a validator (RFC 9111 §5.2.2.4).
	NoCache bool
	// MustRevalidate: once stale, the answer must not be served without revalidation (must-revalidate,
	// proxy-revalidate), so stale-while-revalidate does not apply (RFC 9111 §5.2.2.2).
	MustRevalidate bool
	// Private: the answer is for its caller only.
	Private bool
	// MaxAge bounds how long it may be kept, when HasMaxAge.
	MaxAge    time.Duration
	HasMaxAge bool
	// StaleWhileRevalidate is how long past its freshness the answer may be served while it is
	// revalidated in the background (RFC 5861), when HasSWR.
	StaleWhileRevalidate time.Duration
	HasSWR               bool
}

// ParseCacheControl reads a Cache-Control response header as a shared cache must (RFC 9111):
// s-maxage wins over max-age; a malformed max-age or s-maxage means no-store; a malformed
// stale-while-revalidate grants nothing; unknown directives are ignored. An empty header restricts
// nothing.
func ParseCacheControl(v string) Freshness {
	var f Freshness
	var maxAge, sMaxAge time.Duration
	var hasMax, hasS bool
	for part := range strings.SplitSeq(v, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		value = strings.Trim(strings.TrimSpace(value), `"`)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "no-store":
			f.NoStore = true
		case "no-cache":
			if value == "" { // no-cache="field" only restricts those fields, which nothing here keeps apart
				f.NoCache = true
			}
		case "must-revalidate", "proxy-revalidate":
			f.MustRevalidate = true
		case "private":
			f.Private = true
		case "stale-while-revalidate":
			if n, err := strconv.ParseUint(value, 10, 32); err == nil {
				f.StaleWhileRevalidate, f.HasSWR = time.Duration(n)*time.Second, true
			}
		case "max-age", "s-maxage":
			n, err := strconv.ParseUint(value, 10, 32)
			if err != nil {
				f.NoStore = true
				continue
			}
			d := time.Duration(n) * time.Second
			if strings.EqualFold(strings.TrimSpace(name), "s-maxage") {
				sMaxAge, hasS = d, true
				f.MustRevalidate = true // s-maxage implies proxy-revalidate for a shared cache (§5.2.2.10)
			} else {
				maxAge, hasMax = d, true
			}
		}
	}
	switch {
	case hasS:
		f.MaxAge, f.HasMaxAge = sMaxAge, true
	case hasMax:
		f.MaxAge, f.HasMaxAge = maxAge, true
	}
	return f
}

// stricter returns what both f and g allow.
func (f Freshness) stricter(g Freshness) Freshness {
	out := Freshness{NoStore: f.NoStore || g.NoStore, NoCache: f.NoCache || g.NoCache,
		MustRevalidate: f.MustRevalidate || g.MustRevalidate, Private: f.Private || g.Private}
	out.MaxAge, out.HasMaxAge = minOf(f.MaxAge, f.HasMaxAge, g.MaxAge, g.HasMaxAge)
	out.StaleWhileRevalidate, out.HasSWR = minOf(f.StaleWhileRevalidate, f.HasSWR, g.StaleWhileRevalidate, g.HasSWR)
	return out
}

// minOf is the smaller of the durations present.
func minOf(a time.Duration, hasA bool, b time.Duration, hasB bool) (time.Duration, bool) {
	switch {
	case hasA && hasB:
		return min(a, b), true
	case hasA:
		return a, true
	case hasB:
		return b, true
	}
	return 0, false
}

// freshness collects what the upstream answers of one fetch said: the strictest Cache-Control, and
// for a fetch answered by exactly one GET, that answer's validators and whether it was a 304. Safe for
// concurrent use.
type freshness struct {
	mu           sync.Mutex
	f            Freshness
	answers      int       // GET answers recorded (200s and 304s)
	etag         string    // of the only answer, "" when none or several
	lastModified time.Time // of the only answer when strong (see Answered), else zero
	notModified  bool      // the only answer was a 304

	cond     *conditional // the validators to send, nil for an unconditional fetch
	condSent bool
}

type freshnessKey struct{}

// conditional is what a revalidation sends: If-None-Match, or If-Modified-Since.
type conditional struct {
	ifNoneMatch     string
	ifModifiedSince time.Time
}

// Conditional returns the precondition headers (If-None-Match or If-Modified-Since) that the GET of a
// revalidation in ctx must carry, once: the first call of a fetch gets them, a later one (another
// call of the same fetch) gets nil, so that validators meant for one key set never go with another.
// Outside a revalidation it returns nil. Retries of the same call must reuse what the first attempt got.
func Conditional(ctx context.Context) http.Header {
	h, ok := ctx.Value(freshnessKey{}).(*freshness)
	if !ok || h.cond == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.condSent {
		return nil
	}
	h.condSent = true
	out := http.Header{}
	if h.cond.ifNoneMatch != "" {
		out.Set("If-None-Match", h.cond.ifNoneMatch)
	} else {
		out.Set("If-Modified-Since", h.cond.ifModifiedSince.UTC().Format(http.TimeFormat))
	}
	return out
}

// Answered records a GET answer (status 200 or 304) to the fetch in ctx: its Cache-Control (the
// strictest of a fetch's answers applies to what it stores), ETag and Last-Modified. Last-Modified is kept only when strong (RFC 9110 §8.8.2.2): at
// least one second before the answer's Date (or the time of receipt without one), so that a change in
// the same second as the answer cannot hide behind an equal date. Outside a fetch it does nothing.
func Answered(ctx context.Context, status int, header http.Header) {
	h, ok := ctx.Value(freshnessKey{}).(*freshness)
	if !ok {
		return
	}
	f := ParseCacheControl(header.Get("Cache-Control"))
	h.mu.Lock()
	defer h.mu.Unlock()
	h.f = h.f.stricter(f)
	h.answers++
	if h.answers > 1 {
		h.etag, h.lastModified, h.notModified = "", time.Time{}, false
		return
	}
	h.notModified = status == http.StatusNotModified
	h.etag = strings.TrimSpace(header.Get("ETag"))
	if lm, err := http.ParseTime(header.Get("Last-Modified")); err == nil {
		date, err := http.ParseTime(header.Get("Date"))
		if err != nil {
			date = now()
		}
		if date.Sub(lm) >= time.Second {
			h.lastModified = lm
		}
	}
}

// lifetimes says how an answer with freshness f (with a validator or not) is kept by a kind with
// policy p: fresh for fresh, then servable stale while one background refresh runs for swr more, and
// kept for keep more (past fresh) to be revalidated; store is false when it must not be kept at all
// (no-store, a private answer for a public kind, nothing fresh and nothing to revalidate with).
//
// swr is the kind's stale_while_revalidate, or the upstream's stale-while-revalidate (RFC 5861) when
// the kind sets none; with both the smaller wins (the upstream's semantics win when stricter).
// must-revalidate, s-maxage (proxy-revalidate for a shared cache) and no-cache withdraw it: such an
// answer is never served stale (RFC 9111 §5.2.2.2).
func lifetimes(p Policy, f Freshness, validated bool) (fresh, swr, keep time.Duration, store bool) {
	if f.NoStore || (f.Private && p.Scope == Public) {
		return 0, 0, 0, false
	}
	fresh = p.TTL
	if f.HasMaxAge && f.MaxAge < fresh {
		fresh = f.MaxAge
	}
	if f.NoCache {
		fresh = 0 // stored stale at once: every use revalidates
	}
	if fresh > 0 && !f.NoCache && !f.MustRevalidate {
		swr = p.StaleWhileRevalidate
		if f.HasSWR && (swr == 0 || f.StaleWhileRevalidate < swr) {
			swr = f.StaleWhileRevalidate
		}
	}
	if validated {
		keep = p.KeepStale
	}
	return fresh, swr, keep, fresh > 0 || keep > 0
}

// Validators are what a stored answer is revalidated with (RFC 9110 §8.8): the ETag of the one
// upstream answer it came from together with the keys that answer covered, and a Last-Modified date
// strong enough to ask about any set of keys.
type Validators struct {
	// ETag is the answer's entity tag as sent (quotes included); "" = none.
	ETag string
	// Batch is the keys of the look-up the ETag validates, in the order they were asked (shared by
	// the entries of one answer). An entity tag names one representation of one target URI (RFC 9110
	// §8.8.3), and a batch look-up's URI is its key list: the tag says nothing about any other list.
	Batch []string
	// LastModified is the answer's Last-Modified date, kept only when strong (the answer's Date at
	// least one second later, RFC 9110 §8.8.2.2); zero = none.
	LastModified time.Time
}

// size estimates the bytes v adds to one entry: its tag, and its share of the batch its entries
// share (one key's string header and bytes, about).
func (v Validators) size() int64 {
	if !v.valid() {
		return 0
	}
	n := int64(len(v.ETag)) + 48
	if len(v.Batch) > 0 {
		n += 16 + int64(len(v.Batch[0]))
	}
	return n
}

// valid reports whether v can revalidate anything.
func (v Validators) valid() bool { return v.ETag != "" || !v.LastModified.IsZero() }

// validators returns what the fetch's answer lets its entries be revalidated with (batch: the keys it
// asked). A fetch answered by several GETs (a look-up split in chunks) keeps none: no one answer
// covers the whole batch.
func (h *freshness) validators(batch []string) Validators {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.answers != 1 {
		return Validators{}
	}
	v := Validators{LastModified: h.lastModified}
	if h.etag != "" {
		v.ETag, v.Batch = h.etag, batch
	}
	return v
}
