package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellisgw/trellis/internal/redistest"

	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/graph/persisted"
)

// apqPost posts body to base's /graphql and returns the status, the first error's code ("" when none)
// and the raw response.
func apqPost(t *testing.T, base string, body map[string]any) (int, string, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, raw)
	}
	code := ""
	if len(out.Errors) > 0 {
		code, _ = out.Errors[0].Extensions["code"].(string)
	}
	return resp.StatusCode, code, raw
}

// sharedPersisted puts the persisted queries in the Redis at addr under prefix.
func sharedPersisted(addr, prefix string) func(*gateway.Config) {
	return func(c *gateway.Config) {
		c.PersistedQueries.Store = persisted.StoreRedis
		c.PersistedQueries.Redis.Addr = addr
		c.PersistedQueries.Redis.KeyPrefix = prefix
		c.PersistedQueries.Redis.Timeout = 2 * time.Second // a loaded test machine must not miss by accident
	}
}

// TestAPQSharedAcrossInstances: a query registered through one gateway instance runs by its hash alone
// on another one when they share a Redis store, and not when each keeps its own in memory.
func TestAPQSharedAcrossInstances(t *testing.T) {
	const query = `query Top { topProducts(first: 2) { upc name } }`
	hash := sha256Hex(query)
	byHash := map[string]any{"extensions": apqExtensions(hash)}
	register := map[string]any{"query": query, "extensions": apqExtensions(hash)}

	rs := redistest.Start(t)
	for _, tc := range []struct {
		name  string
		tweak func(*gateway.Config)
		// wantB is B's code for the hash alone once A registered it.
		wantB string
	}{
		{name: "redis", tweak: sharedPersisted(rs.Addr, "apq1:"), wantB: ""},
		{name: "memory", tweak: func(*gateway.Config) {}, wantB: "PERSISTED_QUERY_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.tweak)
			a, b := e.server.URL, e.secondGateway(t, tc.tweak)
			if status, code, raw := apqPost(t, b, byHash); status != http.StatusOK || code != "PERSISTED_QUERY_NOT_FOUND" {
				t.Fatalf("B, hash only, before registration: %d %q %s", status, code, raw)
			}
			status, code, want := apqPost(t, a, register)
			if status != http.StatusOK || code != "" {
				t.Fatalf("A, register: %d %q %s", status, code, want)
			}
			if status, code, raw := apqPost(t, a, byHash); status != http.StatusOK || code != "" || !bytes.Equal(raw, want) {
				t.Fatalf("A, hash only: %d %q %s, want %s", status, code, raw, want)
			}
			status, code, raw := apqPost(t, b, byHash)
			if status != http.StatusOK || code != tc.wantB {
				t.Fatalf("B, hash only, after A registered: %d %q %s, want code %q", status, code, raw, tc.wantB)
			}
			if tc.wantB == "" && !bytes.Equal(raw, want) {
				t.Errorf("B answered %s, A answered %s", raw, want)
			}
		})
	}
}

// TestAPQRedisStopped: with the shared store gone, a hash alone is not found (the client then sends
// the query, which runs), never a 5xx.
func TestAPQRedisStopped(t *testing.T) {
	rs := redistest.Start(t)
	const query = `query Top { topProducts(first: 2) { upc name } }`
	hash := sha256Hex(query)
	e := newEnv(t, sharedPersisted(rs.Addr, "apq2:"))
	register := map[string]any{"query": query, "extensions": apqExtensions(hash)}
	if status, code, raw := apqPost(t, e.server.URL, register); status != http.StatusOK || code != "" {
		t.Fatalf("register: %d %q %s", status, code, raw)
	}
	rs.Stop()
	if status, code, raw := apqPost(t, e.server.URL, map[string]any{"extensions": apqExtensions(hash)}); status != http.StatusOK || code != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("hash only, Redis stopped: %d %q %s", status, code, raw)
	}
	if status, code, raw := apqPost(t, e.server.URL, register); status != http.StatusOK || code != "" {
		t.Fatalf("query and hash, Redis stopped: %d %q %s", status, code, raw)
	}
}

// TestAPQRedisHungBacksOff: a Redis that hangs (SIGSTOP) under load does not cost every persisted-query
// request its timeout: after the first failures the store is left alone (one probe a second), so the
// requests that wait for Redis are a handful of the 80 sent, every one of them is answered, and once
// Redis runs again a hash alone is found there.
func TestAPQRedisHungBacksOff(t *testing.T) {
	rs := redistest.Start(t)
	const (
		query   = `query TopOne { topProducts(first: 1) { upc } }`
		timeout = 500 * time.Millisecond // persisted_queries.redis.timeout
		workers = 8
		each    = 10
	)
	hash := sha256Hex(query)
	e := newEnv(t, sharedPersisted(rs.Addr, "apq3:"), func(c *gateway.Config) { c.PersistedQueries.Redis.Timeout = timeout })
	register := map[string]any{"query": query, "extensions": apqExtensions(hash)}
	if status, code, raw := apqPost(t, e.server.URL, register); status != http.StatusOK || code != "" {
		t.Fatalf("register: %d %q %s", status, code, raw)
	}
	rs.Pause()
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			rs.Resume()
		}
	}
	t.Cleanup(resume)

	body, _ := json.Marshal(register)
	var slow, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				start := time.Now()
				resp, err := http.Post(e.server.URL+"/graphql", "application/json", bytes.NewReader(body))
				if err == nil {
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"topProducts":[{"upc"`)) {
						err = fmt.Errorf("%d: %s", resp.StatusCode, raw)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				if time.Since(start) >= timeout {
					slow.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d requests failed with Redis hung, want 0; first: %v", n, firstErr.Load())
	}
	// Without a back-off each of the 80 requests waits for Redis (80); with it, the ones in flight when
	// it first fails (at most one per worker) and one probe a second.
	if n := slow.Load(); n > 2*workers {
		t.Errorf("%d of %d requests waited for the hung Redis (>= %s), want at most %d", n, workers*each, timeout, 2*workers)
	}

	resume()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, code, raw := apqPost(t, e.server.URL, map[string]any{"extensions": apqExtensions(hash)})
		if code == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a hash alone, Redis running again: %s", raw)
		}
	}
}
