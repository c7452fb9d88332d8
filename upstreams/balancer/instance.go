package balancer

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Instance is one address of an upstream with the counters its policy and health decisions read.
// Its reads are atomic; its writes come from Done, SetHealthy and the pool's ejections.
type Instance struct {
	addr string

	inflight atomic.Int64
	ewma     atomic.Uint64 // math.Float64bits of the peak-EWMA latency in seconds; 0 = never observed
	stamp    atomic.Int64  // unix nanoseconds of the last EWMA observation

	ewmaMu sync.Mutex // serializes EWMA writers (readers use the atomics)

	unhealthy    atomic.Bool  // set by active health checks
	consecutive  atomic.Int64 // failed attempts in a row
	ejectedUntil atomic.Int64 // unix nanoseconds; 0 or past = not ejected
	ejections    atomic.Int64 // how many times the instance was ejected
}

// Addr returns the instance's address: host:port, or for REST the base URL's host:port.
func (in *Instance) Addr() string { return in.addr }

// InFlight returns the attempts sent to the instance that have not reported Done.
func (in *Instance) InFlight() int64 { return in.inflight.Load() }

// Healthy reports whether the active health checks consider the instance healthy.
func (in *Instance) Healthy() bool { return !in.unhealthy.Load() }

// Ejected reports whether the outlier detector has ejected the instance at now.
func (in *Instance) Ejected(now time.Time) bool { return in.ejectedUntil.Load() > now.UnixNano() }

// eligible reports whether the instance may be picked outside panic mode.
func (in *Instance) eligible(now int64) bool {
	return !in.unhealthy.Load() && in.ejectedUntil.Load() <= now
}

// Score returns the peak-EWMA latency at now in seconds: the last value decayed by the time elapsed
// since it was observed, so that an instance not picked for a while is tried again.
func (in *Instance) Score(now time.Time, decay time.Duration) float64 {
	return in.score(now.UnixNano(), decay)
}

func (in *Instance) score(now int64, decay time.Duration) float64 {
	v := math.Float64frombits(in.ewma.Load())
	if v == 0 {
		return 0
	}
	elapsed := now - in.stamp.Load()
	if elapsed <= 0 || decay <= 0 {
		return v
	}
	return v * math.Exp(-float64(elapsed)/float64(decay))
}

// observe folds one attempt's latency rtt, seen at now, into the peak EWMA: a value above the
// current score replaces it (the peak); a lower one is averaged in with the weight
// exp(-elapsed/decay), so observations far apart count more.
func (in *Instance) observe(now int64, rtt time.Duration, decay time.Duration) {
	in.ewmaMu.Lock()
	defer in.ewmaMu.Unlock()
	sample := rtt.Seconds()
	cur := math.Float64frombits(in.ewma.Load())
	elapsed := max(now-in.stamp.Load(), 0)
	w := 0.0
	if decay > 0 {
		w = math.Exp(-float64(elapsed) / float64(decay))
	}
	next := sample
	if cur != 0 && sample <= cur {
		next = cur*w + sample*(1-w)
	}
	in.ewma.Store(math.Float64bits(next))
	in.stamp.Store(now)
}
