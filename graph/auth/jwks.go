package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"golang.org/x/sync/singleflight"
)

// maxJWKSBytes bounds a key set document.
const maxJWKSBytes = 1 << 20

// errUnknownKey is a token whose kid is not in the key set, even after a refresh allowed by the rate.
var errUnknownKey = errors.New("no key with the token's kid")

// jwks is a JSON Web Key Set fetched from a URL and kept in memory. Keys older than refresh are
// fetched again on use; a kid that is not in the set causes a fetch too (key rotation), but fetches
// are at least minInterval apart whatever their outcome, so that invalid tokens cannot flood the key
// server. Concurrent look-ups share one fetch. It starts no goroutine.
type jwks struct {
	url         string
	client      *http.Client
	refresh     time.Duration
	minInterval time.Duration
	timeout     time.Duration
	now         func() time.Time
	in          instruments
	log         *slog.Logger

	fetches singleflight.Group

	mu          sync.Mutex
	set         jwk.Set
	fetchedAt   time.Time // of set
	lastAttempt time.Time // of the last fetch, successful or not
}

// key returns the key called kid.
func (s *jwks) key(ctx context.Context, kid string) (jwk.Key, error) {
	set, stale := s.current()
	if set != nil && !stale {
		if k, ok := set.LookupKeyID(kid); ok {
			return k, nil
		}
	}
	// Stale keys or an unknown kid: fetch, unless a fetch happened less than minInterval ago.
	if fresh, err := s.fetchIfAllowed(ctx); err == nil && fresh != nil {
		set = fresh
	}
	if set == nil {
		return nil, errors.New("no key set available")
	}
	if k, ok := set.LookupKeyID(kid); ok {
		return k, nil
	}
	return nil, errUnknownKey
}

// current returns the kept set and whether it is older than refresh.
func (s *jwks) current() (jwk.Set, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set, s.now().Sub(s.fetchedAt) > s.refresh
}

// fetchIfAllowed fetches the set when the rate allows it and returns it; it returns nil, nil when the
// rate does not allow a fetch now.
func (s *jwks) fetchIfAllowed(ctx context.Context) (jwk.Set, error) {
	v, err, _ := s.fetches.Do("", func() (any, error) {
		s.mu.Lock()
		if !s.lastAttempt.IsZero() && s.now().Sub(s.lastAttempt) < s.minInterval {
			s.mu.Unlock()
			return jwk.Set(nil), nil
		}
		s.lastAttempt = s.now()
		s.mu.Unlock()

		// The fetch is shared by every waiting request: one leaving must not cancel it for the others.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		set, err := s.fetch(fctx)
		s.in.jwksFetch(ctx, err)
		if err != nil {
			// Logged here, once per attempt (at most one per minInterval), not per refused token.
			s.log.LogAttrs(ctx, slog.LevelWarn, "auth: JWKS fetch failed", slog.String("error", err.Error()))
			return jwk.Set(nil), err
		}
		s.mu.Lock()
		s.set, s.fetchedAt = set, s.now()
		s.mu.Unlock()
		return set, nil
	})
	set, _ := v.(jwk.Set)
	return set, err
}

// fetch downloads and parses the key set. Its errors name the URL, never a token.
func (s *jwks) fetch(ctx context.Context) (jwk.Set, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", s.url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", s.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks %s: status %d", s.url, resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("jwks %s: read: %w", s.url, err)
	}
	if len(raw) > maxJWKSBytes {
		return nil, fmt.Errorf("jwks %s: larger than %d bytes", s.url, maxJWKSBytes)
	}
	set, err := jwk.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("jwks %s: parse: %w", s.url, err)
	}
	return set, nil
}
