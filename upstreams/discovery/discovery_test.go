package discovery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestWatchLiterals(t *testing.T) {
	var got []string
	w := Watch([]Target{{"127.0.0.1:1", true}, {"[::1]:2", true}, {"name:3", false}, {"127.0.0.1:1", true}}, time.Second, nil,
		func(a []Address) { got = addrs(a) })
	defer w.Close()
	if fmt.Sprint(got) != "[127.0.0.1:1 [::1]:2 name:3]" {
		t.Errorf("addresses = %v", got)
	}
}

func TestWatchResolvesAgain(t *testing.T) {
	var mu sync.Mutex
	answers := [][]string{{"10.0.0.2", "10.0.0.1"}, nil, {"10.0.0.3"}}
	round := 0
	lookup := func(_ context.Context, host string) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		if host != "svc.local" {
			return nil, errors.New("unknown host")
		}
		a := answers[min(round, len(answers)-1)]
		round++
		if a == nil {
			return nil, errors.New("temporary failure")
		}
		return a, nil
	}
	updates := make(chan []string, 10)
	w := Watch([]Target{{"10.9.9.9:80", true}, {"svc.local:80", true}}, 5*time.Millisecond, lookup,
		func(a []Address) { updates <- addrs(a) })
	defer w.Close()
	want := []string{
		"[10.9.9.9:80]",
		"[10.9.9.9:80 10.0.0.1:80 10.0.0.2:80]", // a failed look-up in between keeps these
		"[10.9.9.9:80 10.0.0.3:80]",
	}
	for _, wnt := range want {
		select {
		case got := <-updates:
			if fmt.Sprint(got) != wnt {
				t.Fatalf("update = %v, want %s", got, wnt)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no update %s", wnt)
		}
	}
}

func addrs(in []Address) []string {
	out := make([]string, len(in))
	for i, a := range in {
		out[i] = a.Addr
	}
	return out
}
