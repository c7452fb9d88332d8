// Package discovery turns an upstream's configured addresses into the current list of instance
// addresses: IP literals as they are, host names resolved through DNS at start and again every
// refresh interval, so that the changing addresses of a Kubernetes headless service are followed.
package discovery

import (
	"context"
	"net"
	"slices"
	"sync"
	"time"
)

// Target is one configured address.
type Target struct {
	// HostPort is "host:port".
	HostPort string
	// Resolve says whether a host name is resolved into addresses (false keeps it as one instance,
	// e.g. for https, where the certificate names the host).
	Resolve bool
}

// Address is one instance address and the target it came from.
type Address struct {
	// Addr is "ip:port" (or the target itself when it is not resolved).
	Addr string
	// Target is the Target.HostPort the address was resolved from.
	Target string
}

// LookupFunc resolves a host name into IP addresses, as net.Resolver.LookupHost does.
type LookupFunc func(ctx context.Context, host string) ([]string, error)

// Watcher resolves targets in the background until Close.
type Watcher struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// lookupTimeout bounds one round of look-ups.
const lookupTimeout = 5 * time.Second

// Watch calls update with the instance addresses of targets whenever they change. When no target
// needs DNS, update is called once before Watch returns and no goroutine is started. Otherwise the
// literal addresses are published at once and a goroutine resolves the names now and every refresh
// (0 = only once); a failed look-up keeps the name's previous addresses. lookup nil means
// net.DefaultResolver.LookupHost.
func Watch(targets []Target, refresh time.Duration, lookup LookupFunc, update func([]Address)) *Watcher {
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	known := make(map[string][]string, len(targets)) // HostPort -> addresses
	var names []Target
	for _, t := range targets {
		host, _, err := net.SplitHostPort(t.HostPort)
		if err != nil || !t.Resolve || net.ParseIP(host) != nil {
			known[t.HostPort] = []string{t.HostPort}
			continue
		}
		names = append(names, t)
	}
	w := &Watcher{done: make(chan struct{})}
	last := flatten(targets, known)
	update(last)
	if len(names) == 0 {
		close(w.done)
		w.cancel = func() {}
		return w
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() {
		defer close(w.done)
		var t *time.Ticker
		var tick <-chan time.Time
		if refresh > 0 {
			t = time.NewTicker(refresh)
			defer t.Stop()
			tick = t.C
		}
		for {
			resolve(ctx, names, lookup, known)
			if next := flatten(targets, known); !slices.Equal(next, last) {
				last = next
				update(next)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick:
			}
		}
	}()
	return w
}

// resolve looks every name up concurrently and stores the answers in known.
func resolve(ctx context.Context, names []Target, lookup LookupFunc, known map[string][]string) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, t := range names {
		wg.Go(func() {
			host, port, _ := net.SplitHostPort(t.HostPort)
			ips, err := lookup(ctx, host)
			if err != nil || len(ips) == 0 {
				return
			}
			addrs := make([]string, len(ips))
			for i, ip := range ips {
				addrs[i] = net.JoinHostPort(ip, port)
			}
			slices.Sort(addrs)
			mu.Lock()
			known[t.HostPort] = addrs
			mu.Unlock()
		})
	}
	wg.Wait()
}

// flatten lists the known addresses in target order, without duplicates.
func flatten(targets []Target, known map[string][]string) []Address {
	var out []Address
	seen := map[string]bool{}
	for _, t := range targets {
		for _, a := range known[t.HostPort] {
			if !seen[a] {
				seen[a] = true
				out = append(out, Address{Addr: a, Target: t.HostPort})
			}
		}
	}
	return out
}

// Close stops the background resolution and waits for it.
func (w *Watcher) Close() {
	w.cancel()
	<-w.done
}
