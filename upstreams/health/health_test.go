package health

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/upstreams/balancer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestThresholds(t *testing.T) {
	pool, err := balancer.NewPool(balancer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pool.Update([]string{"a", "b"})
	cfg := Config{HealthyThreshold: 2, UnhealthyThreshold: 3}.WithDefaults()
	steps := []struct {
		aFails      bool
		wantHealthy bool
	}{
		{true, true}, {true, true}, {true, false}, // third failure in a row
		{false, false}, {true, false}, {false, false}, {false, true}, // two successes in a row
	}
	streaks := map[string]*streak{}
	for i, st := range steps {
		probe := func(_ context.Context, addr string) error {
			if addr == "a" && st.aFails {
				return errors.New("down")
			}
			return nil
		}
		round(context.Background(), pool, cfg, probe, streaks)
		for _, in := range pool.Instances() {
			want := in.Addr() == "b" || st.wantHealthy
			if in.Healthy() != want {
				t.Errorf("round %d: %s healthy = %v, want %v", i+1, in.Addr(), in.Healthy(), want)
			}
		}
	}
}

func TestStartAndClose(t *testing.T) {
	pool, err := balancer.NewPool(balancer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pool.Update([]string{"a"})
	var mu sync.Mutex
	probes := 0
	seen := make(chan struct{})
	c := Start(pool, Config{Interval: time.Millisecond, UnhealthyThreshold: 1}, func(context.Context, string) error {
		mu.Lock()
		defer mu.Unlock()
		probes++
		if probes == 3 {
			close(seen)
		}
		return errors.New("down")
	})
	<-seen
	c.Close()
	if pool.Instances()[0].Healthy() {
		t.Error("instance still healthy after failed probes")
	}
}

func TestValidate(t *testing.T) {
	err := Config{Path: "healthz?x", Interval: -1}.Validate()
	if err == nil || !contains(err.Error(), "path:") || !contains(err.Error(), "interval:") {
		t.Errorf("Validate() = %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
