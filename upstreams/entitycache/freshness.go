package entitycache

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Freshness is what an upstream answer's Cache-Control allows a shared cache such as this one.
type Freshness struct {
	// NoStore: the answer must not be kept (no-store, or no-cache: nothing here revalidates).
	NoStore bool
	// Private: the answer is for its caller only.
	Private bool
	// MaxAge bounds how long it may be kept, when HasMaxAge.
	MaxAge    time.Duration
	HasMaxAge bool
}

// ParseCacheControl reads a Cache-Control response header as a shared cache must (RFC 9111):
// s-maxage wins over max-age; a malformed max-age or s-maxage means no-store; unknown directives are
// ignored. An empty header restricts nothing.
func ParseCacheControl(v string) Freshness {
	var f Freshness
	var maxAge, sMaxAge time.Duration
	var hasMax, hasS bool
	for part := range strings.SplitSeq(v, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		value = strings.Trim(strings.TrimSpace(value), `"`)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "no-store", "no-cache":
			f.NoStore = true
		case "private":
			f.Private = true
		case "max-age", "s-maxage":
			n, err := strconv.ParseUint(value, 10, 32)
			if err != nil {
				f.NoStore = true
				continue
			}
			d := time.Duration(n) * time.Second
			if strings.EqualFold(strings.TrimSpace(name), "s-maxage") {
				sMaxAge, hasS = d, true
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
	out := Freshness{NoStore: f.NoStore || g.NoStore, Private: f.Private || g.Private}
	switch {
	case f.HasMaxAge && g.HasMaxAge:
		out.MaxAge, out.HasMaxAge = min(f.MaxAge, g.MaxAge), true
	case f.HasMaxAge:
		out.MaxAge, out.HasMaxAge = f.MaxAge, true
	case g.HasMaxAge:
		out.MaxAge, out.HasMaxAge = g.MaxAge, true
	}
	return out
}

// freshness collects what the upstream answers of one fetch allow. Safe for concurrent use.
type freshness struct {
	mu sync.Mutex
	f  Freshness
}

type freshnessKey struct{}

// Restrict tells the entity cache that the answer being fetched in ctx came with f (a REST
// transport calls it with each answer's Cache-Control): the strictest of a fetch's answers applies to
// what it stores. Outside a fetch it does nothing.
func Restrict(ctx context.Context, f Freshness) {
	if h, ok := ctx.Value(freshnessKey{}).(*freshness); ok {
		h.mu.Lock()
		h.f = h.f.stricter(f)
		h.mu.Unlock()
	}
}

// ttlFor returns how long an answer with freshness f may be kept by a kind with policy p: 0 when not
// at all (no-store, a private answer for a public kind, max-age=0).
func ttlFor(p Policy, f Freshness) time.Duration {
	switch {
	case f.NoStore, f.Private && p.Scope == Public:
		return 0
	case f.HasMaxAge && f.MaxAge < p.TTL:
		return f.MaxAge
	}
	return p.TTL
}
