package ratelimit

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// otherClients is the entry that adds up the clients beyond UsageConfig.MaxClients in one period.
const otherClients = "other"

// Usage meters points consumed and operations per client per period, in process. Each gateway
// instance meters what it served: a billing system adds up the instances. It is safe for concurrent
// use and starts no goroutine (periods roll over when recorded or read).
type Usage struct {
	cfg     UsageConfig
	mu      sync.Mutex // guards current and done
	current *Period
	done    []Period // oldest first, at most cfg.Keep
}

// Period is one metering interval.
type Period struct {
	// Start and End bound the period (End excluded).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Clients are the clients that sent operations in the period, by most points first.
	Clients []ClientUsage `json:"clients"`

	byKey map[string]*ClientUsage
}

// ClientUsage is one client's use of one period.
type ClientUsage struct {
	// Client is the client's key ("key:<client id>", "user:<id>", "ip:<address>", or "other").
	Client string `json:"client"`
	// Plan names the client's plan.
	Plan string `json:"plan"`
	// Points is the actual cost of the operations that ran.
	Points int64 `json:"points"`
	// Operations counts the operations that ran.
	Operations int64 `json:"operations"`
	// Limited counts the operations refused for lack of budget.
	Limited int64 `json:"limited"`
}

func newUsage(cfg UsageConfig) *Usage { return &Usage{cfg: cfg} }

// record adds one operation of c at now: points when it ran, or a refusal.
func (u *Usage) record(now time.Time, c Client, points int, limited bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.roll(now)
	cu := u.current.byKey[c.Key]
	if cu == nil {
		key := c.Key
		if len(u.current.byKey) >= u.cfg.MaxClients {
			key = otherClients
		}
		if cu = u.current.byKey[key]; cu == nil {
			cu = &ClientUsage{Client: key, Plan: c.PlanName}
			u.current.byKey[key] = cu
		}
	}
	if limited {
		cu.Limited++
		return
	}
	cu.Points += int64(points)
	cu.Operations++
}

// roll starts the period holding now, moving the current one to done. Callers hold u.mu.
func (u *Usage) roll(now time.Time) {
	start := now.Truncate(u.cfg.Interval)
	if u.current != nil && u.current.Start.Equal(start) {
		return
	}
	if u.current != nil && len(u.current.byKey) > 0 {
		u.done = append(u.done, u.current.freeze())
		if len(u.done) > u.cfg.Keep {
			u.done = u.done[len(u.done)-u.cfg.Keep:]
		}
	}
	u.current = &Period{Start: start, End: start.Add(u.cfg.Interval), byKey: map[string]*ClientUsage{}}
}

// freeze returns a copy of p with Clients listed, most points first.
func (p *Period) freeze() Period {
	out := Period{Start: p.Start, End: p.End, Clients: make([]ClientUsage, 0, len(p.byKey))}
	for _, c := range p.byKey {
		out.Clients = append(out.Clients, *c)
	}
	sort.Slice(out.Clients, func(i, j int) bool {
		a, b := out.Clients[i], out.Clients[j]
		if a.Points != b.Points {
			return a.Points > b.Points
		}
		return a.Client < b.Client
	})
	return out
}

// Snapshot returns the completed periods, oldest first, then the current one.
func (u *Usage) Snapshot(now time.Time) []Period {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.roll(now)
	out := append([]Period(nil), u.done...)
	return append(out, u.current.freeze())
}

// UsageHandler returns GET /admin/usage: the metering periods as JSON
// ({"interval": "1m0s", "periods": [{start, end, clients: [{client, plan, points, operations, limited}]}]}).
// The gateway mounts it on its admin surface, behind server.admin_token.
func (l *Limiter) UsageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(struct {
			Interval string   `json:"interval"`
			Periods  []Period `json:"periods"`
		}{l.cfg.Usage.Interval.String(), l.usage.Snapshot(l.now())})
	})
}
