package balancer

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestPool(t *testing.T, cfg Config, clk *fakeClock, rnd func(uint64) uint64, addrs ...string) *Pool {
	t.Helper()
	p, err := NewPool(cfg, WithClock(clk.now), WithRand(rnd))
	if err != nil {
		t.Fatal(err)
	}
	p.Update(addrs)
	return p
}

// seq returns a random source that yields vals in turn (each taken modulo n).
func seq(vals ...uint64) func(uint64) uint64 {
	i := 0
	return func(n uint64) uint64 {
		v := vals[i%len(vals)] % n
		i++
		return v
	}
}

func TestChoose(t *testing.T) {
	mk := func(addr string, inflight int64, ewma float64) *Instance {
		in := &Instance{addr: addr}
		in.inflight.Store(inflight)
		in.ewma.Store(math.Float64bits(ewma))
		return in
	}
	tests := []struct {
		name   string
		policy string
		list   []*Instance
		rnd    []uint64
		avoid  string
		want   []string // successive choices
	}{
		{"round robin in turn", RoundRobin, []*Instance{mk("a", 0, 0), mk("b", 0, 0), mk("c", 0, 0)}, nil, "", []string{"a", "b", "c", "a"}},
		{"round robin skips avoid", RoundRobin, []*Instance{mk("a", 0, 0), mk("b", 0, 0)}, nil, "a", []string{"b", "b"}},
		{"round robin single avoid", RoundRobin, []*Instance{mk("a", 0, 0)}, nil, "a", []string{"a"}},
		{"least request fewer wins", LeastRequest, []*Instance{mk("a", 5, 0), mk("b", 1, 0), mk("c", 9, 0)}, []uint64{0, 0}, "", []string{"b"}},
		{"least request second draw skips first", LeastRequest, []*Instance{mk("a", 5, 0), mk("b", 1, 0), mk("c", 0, 0)}, []uint64{0, 1}, "", []string{"c"}},
		{"least request tie keeps first", LeastRequest, []*Instance{mk("a", 1, 0), mk("b", 1, 0)}, []uint64{1, 0}, "", []string{"b"}},
		{"least request avoid", LeastRequest, []*Instance{mk("a", 0, 0), mk("b", 9, 0)}, []uint64{0, 0}, "a", []string{"b"}},
		{"peak ewma faster wins", PeakEWMA, []*Instance{mk("a", 0, 0.2), mk("b", 0, 0.01)}, []uint64{0, 0}, "", []string{"b"}},
		{"peak ewma load counts", PeakEWMA, []*Instance{mk("a", 0, 0.02), mk("b", 3, 0.01)}, []uint64{0, 0}, "", []string{"a"}},
		{"peak ewma unmeasured idle first", PeakEWMA, []*Instance{mk("a", 0, 0.01), mk("b", 0, 0)}, []uint64{0, 0}, "", []string{"b"}},
		{"peak ewma unmeasured busy penalized", PeakEWMA, []*Instance{mk("a", 0, 0.01), mk("b", 1, 0)}, []uint64{0, 0}, "", []string{"a"}},
		{"peak ewma single", PeakEWMA, []*Instance{mk("a", 7, 1)}, nil, "a", []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rnd func(uint64) uint64
			if tt.rnd != nil {
				rnd = seq(tt.rnd...)
			}
			p, err := NewPolicy(tt.policy, 10*time.Second, rnd)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				if got := p.Choose(tt.list, tt.avoid, 0).Addr(); got != want {
					t.Errorf("choice %d = %s, want %s", i, got, want)
				}
			}
		})
	}
}

func TestEWMA(t *testing.T) {
	const decay = 10 * time.Second
	sec := int64(time.Second)
	tests := []struct {
		name string
		obs  []struct {
			at  int64
			rtt time.Duration
		}
		readAt int64
		want   float64
	}{
		{"first observation taken as is", []struct {
			at  int64
			rtt time.Duration
		}{{0, 100 * time.Millisecond}}, 0, 0.1},
		{"peak replaces at once", []struct {
			at  int64
			rtt time.Duration
		}{{0, 10 * time.Millisecond}, {0, 200 * time.Millisecond}}, 0, 0.2},
		{"lower value with no time elapsed is ignored", []struct {
			at  int64
			rtt time.Duration
		}{{0, 200 * time.Millisecond}, {0, 10 * time.Millisecond}}, 0, 0.2},
		{"lower value one decay later", []struct {
			at  int64
			rtt time.Duration
		}{{0, 200 * time.Millisecond}, {10 * sec, 10 * time.Millisecond}}, 10 * sec,
			0.2*math.Exp(-1) + 0.01*(1-math.Exp(-1))},
		{"score decays when read later", []struct {
			at  int64
			rtt time.Duration
		}{{0, 200 * time.Millisecond}}, 20 * sec, 0.2 * math.Exp(-2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Instance{addr: "a"}
			for _, o := range tt.obs {
				in.observe(o.at, o.rtt, decay)
			}
			if got := in.score(tt.readAt, decay); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("score = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOutlierEjection(t *testing.T) {
	cfg := Config{Policy: RoundRobin, Outlier: OutlierConfig{
		ConsecutiveFailures: 3, BaseEjectionTime: 10 * time.Second, MaxEjectionTime: 25 * time.Second, MaxEjectionPercent: 50,
	}}
	clk := &fakeClock{t: time.Unix(1000, 0)}
	p := newTestPool(t, cfg, clk, nil, "a", "b", "c", "d")
	inst := func(addr string) *Instance {
		for _, in := range p.Instances() {
			if in.Addr() == addr {
				return in
			}
		}
		t.Fatalf("no instance %s", addr)
		return nil
	}
	fail := func(addr string, n int) {
		for range n {
			Picked{Instance: inst(addr), pool: p, start: clk.now().UnixNano()}.Done(Failure)
			inst(addr).inflight.Add(1) // Done took one off without a Pick
		}
	}
	steps := []struct {
		name        string
		do          func()
		wantEjected map[string]bool
	}{
		{"two failures: not yet", func() { fail("a", 2) }, map[string]bool{}},
		{"a success resets the count", func() {
			Picked{Instance: inst("a"), pool: p}.Done(Success)
			inst("a").inflight.Add(1)
			fail("a", 2)
		}, map[string]bool{}},
		{"third failure in a row ejects", func() { fail("a", 1) }, map[string]bool{"a": true}},
		{"still ejected just before base time", func() { clk.advance(10*time.Second - time.Nanosecond) }, map[string]bool{"a": true}},
		{"back after base time", func() { clk.advance(time.Nanosecond) }, map[string]bool{}},
		{"second ejection lasts twice as long", func() { fail("a", 3); clk.advance(19 * time.Second) }, map[string]bool{"a": true}},
		{"second ejection over", func() { clk.advance(time.Second) }, map[string]bool{}},
		{"third ejection capped at max", func() { fail("a", 3); clk.advance(25*time.Second - time.Nanosecond) }, map[string]bool{"a": true}},
		{"cap over", func() { clk.advance(time.Nanosecond) }, map[string]bool{}},
		{"max percent: two of four", func() { fail("a", 3); fail("b", 3); fail("c", 3) }, map[string]bool{"a": true, "b": true}},
	}
	for _, st := range steps {
		st.do()
		// A pick publishes ended ejections, as in production.
		if _, err := p.Pick(""); err != nil {
			t.Fatal(err)
		}
		for _, in := range p.Instances() {
			in.inflight.Store(0)
			if got := in.Ejected(clk.now()); got != st.wantEjected[in.Addr()] {
				t.Errorf("%s: %s ejected = %v, want %v", st.name, in.Addr(), got, st.wantEjected[in.Addr()])
			}
		}
	}
}

func TestNeverEjectAll(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	p := newTestPool(t, Config{Outlier: OutlierConfig{ConsecutiveFailures: 1, MaxEjectionPercent: 100}}, clk, nil, "a", "b")
	for range 10 {
		pk, err := p.Pick("")
		if err != nil {
			t.Fatal(err)
		}
		pk.Done(Failure)
	}
	ejected := 0
	for _, in := range p.Instances() {
		if in.Ejected(clk.now()) {
			ejected++
		}
	}
	if ejected != 1 {
		t.Errorf("%d of 2 ejected, want 1 (never all)", ejected)
	}
}

func TestPanicMode(t *testing.T) {
	tests := []struct {
		name      string
		threshold int
		unhealthy []string
		wantPanic bool
		wantFrom  []string // the instances picks may return
	}{
		{"all healthy", 50, nil, false, []string{"a", "b", "c", "d"}},
		{"half healthy is enough", 50, []string{"a", "b"}, false, []string{"c", "d"}},
		{"too few healthy: all", 50, []string{"a", "b", "c"}, true, []string{"a", "b", "c", "d"}},
		{"none healthy: all", 0, []string{"a", "b", "c", "d"}, true, []string{"a", "b", "c", "d"}},
		{"panic off keeps the healthy one", 0, []string{"a", "b", "c"}, false, []string{"d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := tt.threshold
			clk := &fakeClock{t: time.Unix(1000, 0)}
			p := newTestPool(t, Config{Policy: RoundRobin, PanicThreshold: &th}, clk, nil, "a", "b", "c", "d")
			for _, a := range tt.unhealthy {
				p.SetHealthy(a, false)
			}
			if got := p.Panic(); got != tt.wantPanic {
				t.Errorf("Panic() = %v, want %v", got, tt.wantPanic)
			}
			seen := map[string]bool{}
			for range 8 {
				pk, err := p.Pick("")
				if err != nil {
					t.Fatal(err)
				}
				seen[pk.Instance.Addr()] = true
				pk.Done(Success)
			}
			if len(seen) != len(tt.wantFrom) {
				t.Errorf("picked %v, want exactly %v", seen, tt.wantFrom)
			}
			for _, a := range tt.wantFrom {
				if !seen[a] {
					t.Errorf("picked %v, want exactly %v", seen, tt.wantFrom)
				}
			}
		})
	}
}

func TestUpdateKeepsState(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	p := newTestPool(t, Config{}, clk, nil, "a", "b")
	p.SetHealthy("b", false)
	p.Update([]string{"b", "c", "c"})
	got := []string{}
	for _, in := range p.Instances() {
		got = append(got, fmt.Sprintf("%s:%v", in.Addr(), in.Healthy()))
	}
	if fmt.Sprint(got) != "[b:false c:true]" {
		t.Errorf("instances = %v", got)
	}
	empty := newTestPool(t, Config{}, clk, nil)
	if _, err := empty.Pick(""); err != ErrNoInstance {
		t.Errorf("empty pool: err = %v, want ErrNoInstance", err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := -1
	err := Config{Policy: "random", PanicThreshold: &bad, Outlier: OutlierConfig{MaxEjectionPercent: 101}}.Validate()
	for _, key := range []string{"policy:", "panic_threshold:", "outlier.max_ejection_percent:"} {
		if err == nil || !contains(err.Error(), key) {
			t.Errorf("Validate() = %v, want it to name %s", err, key)
		}
	}
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func BenchmarkPick(b *testing.B) {
	for _, policy := range []string{RoundRobin, LeastRequest, PeakEWMA} {
		b.Run(policy, func(b *testing.B) {
			p, err := NewPool(Config{Policy: policy})
			if err != nil {
				b.Fatal(err)
			}
			p.Update([]string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "10.0.0.5:80"})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					pk, err := p.Pick("")
					if err != nil {
						b.Fatal(err)
					}
					pk.Done(Success)
				}
			})
		})
	}
}
