package resilience

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

func TestBackoff(t *testing.T) {
	base, maxWait := 10*time.Millisecond, 70*time.Millisecond
	tests := []struct {
		n    int
		rnd  float64
		want time.Duration
	}{
		{1, 0, 0},
		{1, 0.5, 5 * time.Millisecond},
		{2, 0.5, 10 * time.Millisecond},
		{3, 0.5, 20 * time.Millisecond},
		{4, 0.999999999, 70 * time.Millisecond}, // capped at max
		{9, 0.5, 35 * time.Millisecond},
	}
	for _, tt := range tests {
		got := Backoff(tt.n, base, maxWait, func() float64 { return tt.rnd })
		if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("Backoff(%d, rnd %v) = %s, want %s", tt.n, tt.rnd, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 1 ", time.Second},
		{"0", 0},
		{"-5", 0},
		{"abc", 0},
		{"99999999999", 24 * time.Hour},
		{now.Add(2 * time.Second).Format(http.TimeFormat), 2 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "Wed, 21 Oct 2015 07:28:00 GMT", "", "-1", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := ParseRetryAfter(s, time.Now()); d < 0 || d > 24*time.Hour+time.Second && !strings.Contains(s, ",") {
			t.Errorf("ParseRetryAfter(%q) = %s", s, d)
		}
	})
}

func TestBudget(t *testing.T) {
	clk := time.Unix(1000, 0)
	b := NewBudget(0.2, 0.1, func() time.Time { return clk }) // floor: 1 retry per window
	for range 10 {
		b.Call()
	}
	got := 0
	for range 10 {
		if b.Retry() {
			got++
		}
	}
	if got != 3 { // 0.2 × 10 + 1
		t.Errorf("retries allowed = %d, want 3", got)
	}
	clk = clk.Add(budgetWindow)
	if !b.Retry() {
		t.Error("after a window the floor allows a retry again")
	}
	if b.Retry() {
		t.Error("the floor allows one retry per window only")
	}
}

func unavailable(err error) error {
	return &upstreamerr.Error{Upstream: "u", Op: "GET /x", Code: upstreamerr.Unavailable, Err: err}
}

func TestGuardRetries(t *testing.T) {
	fail := errors.New("boom")
	tests := []struct {
		name       string
		idempotent bool
		errs       []error // per attempt; nil = success
		retryAfter time.Duration
		want       int // attempts made
		wantCode   upstreamerr.Code
	}{
		{"success first", true, []error{nil}, 0, 1, ""},
		{"retried to success", true, []error{unavailable(fail), nil}, 0, 2, ""},
		{"attempts cap", true, []error{unavailable(fail), unavailable(fail), unavailable(fail), nil}, 0, 3, upstreamerr.Unavailable},
		{"mutation never retried", false, []error{unavailable(fail), nil}, 0, 1, upstreamerr.Unavailable},
		{"bad input not retried", true, []error{&upstreamerr.Error{Code: upstreamerr.BadInput}, nil}, 0, 1, upstreamerr.BadInput},
		{"server error not retried", true, []error{&upstreamerr.Error{Code: upstreamerr.Failed}, nil}, 0, 1, upstreamerr.Failed},
		{"retry-after over backoff max not waited", true, []error{unavailable(fail), nil}, time.Hour, 1, upstreamerr.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewGuard("u", Config{Retry: RetryConfig{BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			var avoids []string
			n := 0
			err = g.Do(context.Background(), "GET /x", tt.idempotent, func(_ context.Context, a Attempt) (string, error) {
				avoids = append(avoids, a.Avoid)
				e := tt.errs[n]
				n++
				if ue, ok := e.(*upstreamerr.Error); ok && tt.retryAfter > 0 {
					ue.RetryAfter = tt.retryAfter
				}
				return "inst" + string(rune('0'+a.N)), e
			})
			if n != tt.want {
				t.Errorf("attempts = %d, want %d", n, tt.want)
			}
			if got := upstreamerr.CodeOf(err); got != tt.wantCode {
				t.Errorf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
			for i, a := range avoids {
				want := ""
				if i > 0 {
					want = "inst" + string(rune('0'+i))
				}
				if a != want {
					t.Errorf("attempt %d avoid = %q, want %q", i+1, a, want)
				}
			}
		})
	}
}

func TestGuardBreaker(t *testing.T) {
	g, err := NewGuard("u", Config{
		Retry:   RetryConfig{Attempts: 1},
		Breaker: BreakerConfig{MinRequests: 4, FailureRatio: 0.5, OpenTime: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	failing := func(context.Context, Attempt) (string, error) { calls++; return "a", unavailable(errors.New("down")) }
	for range 4 {
		_ = g.Do(context.Background(), "GET /x", true, failing)
	}
	if g.BreakerState() != 2 {
		t.Fatalf("breaker state = %d after 4 failures, want 2 (open)", g.BreakerState())
	}
	calls = 0
	err = g.Do(context.Background(), "GET /x", true, failing)
	if calls != 0 || !errors.Is(err, ErrBreakerOpen) || upstreamerr.CodeOf(err) != upstreamerr.Unavailable {
		t.Errorf("open breaker: calls = %d, err = %v; want no call and UPSTREAM_UNAVAILABLE", calls, err)
	}
}

func TestGuardConcurrencyLimit(t *testing.T) {
	var rejected []string
	g, err := NewGuard("u", Config{MaxInFlight: 1}, WithHooks(Hooks{Rejected: func(_ context.Context, _, reason string) {
		rejected = append(rejected, reason)
	}}))
	if err != nil {
		t.Fatal(err)
	}
	err = g.Do(context.Background(), "GET /x", true, func(ctx context.Context, _ Attempt) (string, error) {
		inner := g.Do(ctx, "GET /x", true, func(context.Context, Attempt) (string, error) { return "", nil })
		if !errors.Is(inner, ErrOverloaded) {
			t.Errorf("second call in flight: err = %v, want ErrOverloaded", inner)
		}
		return "a", nil
	})
	if err != nil || len(rejected) != 1 || rejected[0] != RejectOverload {
		t.Errorf("err = %v, rejected = %v", err, rejected)
	}
}

func TestGuardAttemptTimeoutRetried(t *testing.T) {
	g, err := NewGuard("u", Config{AttemptTimeout: 5 * time.Millisecond, Retry: RetryConfig{BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = g.Do(context.Background(), "GET /x", true, func(ctx context.Context, _ Attempt) (string, error) {
		n++
		if n == 1 {
			<-ctx.Done()
			return "a", &upstreamerr.Error{Code: upstreamerr.Classify(ctx, ctx.Err())}
		}
		return "b", nil
	})
	if err != nil || n != 2 {
		t.Errorf("err = %v after %d attempts; want success on the second", err, n)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := 2.0
	err := Config{MaxInFlight: -1, Retry: RetryConfig{Attempts: 11, BudgetRatio: &bad}, Breaker: BreakerConfig{FailureRatio: 3}}.Validate()
	for _, key := range []string{"max_in_flight:", "retry.attempts:", "retry.budget_ratio:", "breaker.failure_ratio:"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() = %v; want it to name %s", err, key)
		}
	}
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

// TestCallTimeoutCountsAgainstTheUpstream: an attempt cut by the upstream's own call timeout is a
// failure for the breaker; one cut because the caller gave up is not.
func TestCallTimeoutCountsAgainstTheUpstream(t *testing.T) {
	slow := func(ctx context.Context, _ Attempt) (string, error) {
		<-ctx.Done()
		return "a", &upstreamerr.Error{Code: upstreamerr.Classify(ctx, ctx.Err())}
	}
	cfg := Config{Retry: RetryConfig{Attempts: 1}, Breaker: BreakerConfig{MinRequests: 2, OpenTime: time.Hour}}
	tests := []struct {
		name        string
		callTimeout time.Duration
		callerLimit time.Duration
		wantState   int
	}{
		{"call timeout: the upstream was slow", 5 * time.Millisecond, 0, 2},
		{"caller deadline: excluded", 0, 5 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewGuard("u", cfg, WithCallTimeout(tt.callTimeout))
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				ctx := context.Background()
				if tt.callerLimit > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.callerLimit)
					defer cancel()
				}
				if err := g.Do(ctx, "GET /x", true, slow); upstreamerr.CodeOf(err) != upstreamerr.Timeout {
					t.Fatalf("Do = %v, want UPSTREAM_TIMEOUT", err)
				}
			}
			if got := g.BreakerState(); got != tt.wantState {
				t.Errorf("breaker state = %d, want %d", got, tt.wantState)
			}
		})
	}
}
