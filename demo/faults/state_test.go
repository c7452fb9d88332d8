package faults

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sequence returns a random source that yields vals in turn, forever.
func sequence(vals ...float64) func() float64 {
	i := 0
	return func() float64 {
		v := vals[i%len(vals)]
		i++
		return v
	}
}

func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.PathValue("id")) })
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {})
	return mux
}

// wrapped hides the Router method of a mux.
type wrapped struct{ h http.Handler }

func (w wrapped) ServeHTTP(rw http.ResponseWriter, r *http.Request) { w.h.ServeHTTP(rw, r) }

func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestMiddlewareCounts(t *testing.T) {
	s := NewState()
	h := s.Middleware(newMux())
	for _, target := range []string{"/users/1", "/users/2", "/healthz", "/nope", "/users/3"} {
		serve(h, http.MethodGet, target)
	}
	serve(h, http.MethodPost, "/users/1")
	want := map[string]int{"GET /users/{id}": 3, "GET /healthz": 1, Unmatched: 2}
	if diff := cmp.Diff(s.Calls(), want); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}
	s.ResetCalls()
	if got := s.Calls(); len(got) != 0 {
		t.Errorf("calls after reset = %v, want none", got)
	}
	serve(h, http.MethodGet, "/users/1")
	if diff := cmp.Diff(s.Calls(), map[string]int{"GET /users/{id}": 1}); diff != "" {
		t.Errorf("calls after reset and one call (-got +want):\n%s", diff)
	}
}

func TestMiddlewareErrorRate(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.Handler
		rate      float64
		rand      []float64
		want      []int
		wantCalls map[string]int
	}{
		{name: "half", handler: newMux(), rate: 0.5, rand: []float64{0.1, 0.6, 0.49, 0.5},
			want:      []int{503, 200, 503, 200},
			wantCalls: map[string]int{"GET /users/{id}": 4}},
		{name: "zero never fails", handler: newMux(), rate: 0, rand: []float64{0},
			want: []int{200, 200}, wantCalls: map[string]int{"GET /users/{id}": 2}},
		{name: "one always fails", handler: newMux(), rate: 1, rand: []float64{0.999},
			want: []int{503, 503}, wantCalls: map[string]int{"GET /users/{id}": 2}},
		{name: "without router every call is unmatched", handler: wrapped{newMux()}, rate: 0.5, rand: []float64{0.9, 0.1},
			want: []int{200, 503}, wantCalls: map[string]int{Unmatched: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewState(WithRand(sequence(tt.rand...)))
			if _, err := s.SetFault(Fault{ErrorRate: tt.rate}); err != nil {
				t.Fatal(err)
			}
			h := s.Middleware(tt.handler)
			var got []int
			for range tt.want {
				rec := serve(h, http.MethodGet, "/users/7")
				got = append(got, rec.Code)
				if rec.Code == http.StatusServiceUnavailable {
					if body := strings.TrimSpace(rec.Body.String()); body != strings.TrimSpace(injectedBody) {
						t.Errorf("body = %s", body)
					}
					if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
						t.Errorf("content type = %q", ct)
					}
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("statuses (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(s.Calls(), tt.wantCalls); diff != "" {
				t.Errorf("calls (-got +want):\n%s", diff)
			}
		})
	}
}

func TestMiddlewareLatency(t *testing.T) {
	s := NewState()
	const latency = 30 * time.Millisecond
	if _, err := s.SetFault(Fault{Latency: latency}); err != nil {
		t.Fatal(err)
	}
	h := s.Middleware(newMux())
	start := time.Now()
	if rec := serve(h, http.MethodGet, "/users/1"); rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	if took := time.Since(start); took < latency {
		t.Errorf("call took %s, want at least %s", took, latency)
	}

	t.Run("ends with the request context", func(t *testing.T) {
		if _, err := s.SetFault(Fault{Latency: MaxLatency}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var served bool
		next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served = true })
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Middleware(next).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
		}()
		cancel()
		<-done
		if served {
			t.Error("handler ran although the request was cancelled during the latency")
		}
	})
}

func TestUnaryInterceptor(t *testing.T) {
	s := NewState(WithRand(sequence(0.2, 0.8)))
	intercept := s.UnaryServerInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.Svc/Get"}
	handled := 0
	handler := func(context.Context, any) (any, error) { handled++; return "ok", nil }
	if _, err := s.SetFault(Fault{ErrorRate: 0.5, Latency: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	var codesGot []codes.Code
	for range 4 {
		_, err := intercept(context.Background(), nil, info, handler)
		codesGot = append(codesGot, status.Code(err))
	}
	if diff := cmp.Diff(codesGot, []codes.Code{codes.Unavailable, codes.OK, codes.Unavailable, codes.OK}); diff != "" {
		t.Errorf("codes (-got +want):\n%s", diff)
	}
	if handled != 2 {
		t.Errorf("handler ran %d times, want 2", handled)
	}
	if diff := cmp.Diff(s.Calls(), map[string]int{"/pkg.Svc/Get": 4}); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}

	t.Run("latency ends with the context", func(t *testing.T) {
		if _, err := s.SetFault(Fault{Latency: MaxLatency}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := intercept(ctx, nil, info, handler)
		if status.Code(err) != codes.Canceled {
			t.Errorf("error = %v, want Canceled", err)
		}
	})
}

func TestSetFaultValidates(t *testing.T) {
	s := NewState()
	if _, err := s.SetFault(Fault{ErrorRate: 2}); err == nil {
		t.Fatal("SetFault accepted error rate 2")
	}
	prev, err := s.SetFault(Fault{Down: true})
	if err != nil || prev != (Fault{}) {
		t.Fatalf("SetFault = %+v, %v", prev, err)
	}
	if got := s.Fault(); got != (Fault{Down: true}) {
		t.Errorf("Fault() = %+v", got)
	}
}

func TestCountConcurrent(t *testing.T) {
	s := NewState()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 1000 {
				s.Count([]string{"a", "b"}[i%2])
			}
		})
	}
	wg.Go(func() { _ = s.Calls() })
	wg.Wait()
	if diff := cmp.Diff(s.Calls(), map[string]int{"a": 4000, "b": 4000}); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}
}
