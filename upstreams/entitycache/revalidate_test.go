package entitycache

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestRevalidationChoice: If-None-Match only for exactly the batch one answer's tag covers (sent in
// that batch's order), else If-Modified-Since with the oldest strong date, else nothing.
func TestRevalidationChoice(t *testing.T) {
	t1, t2 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	ab := []string{"a", "b"}
	fromAB := Validators{ETag: `"ab"`, Batch: ab, LastModified: t2}
	tests := []struct {
		name  string
		keys  []string
		stale map[string]stored[string]
		batch []string
		etag  string
		since time.Time
	}{
		{"the batch, another order", []string{"b", "a"}, map[string]stored[string]{"a": {validators: fromAB}, "b": {validators: fromAB}}, ab, `"ab"`, t2},
		{"a subset: by date", []string{"b"}, map[string]stored[string]{"b": {validators: fromAB}}, []string{"b"}, "", t2},
		{"same tag, another batch of the same length: by date", []string{"a", "c"}, map[string]stored[string]{
			"a": {validators: fromAB}, "c": {validators: Validators{ETag: `"ab"`, Batch: []string{"a", "c"}, LastModified: t1}}}, []string{"a", "c"}, "", t1},
		{"one without a date: nothing", []string{"a", "c"}, map[string]stored[string]{
			"a": {validators: fromAB}, "c": {validators: Validators{ETag: `"c"`, Batch: []string{"c"}}}}, []string{"a", "c"}, "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch, etag, since := revalidation(tt.keys, tt.stale)
			if !slices.Equal(batch, tt.batch) || etag != tt.etag || (etag == "" && !since.Equal(tt.since)) {
				t.Errorf("revalidation = %v, %q, %v; want %v, %q, %v", batch, etag, since, tt.batch, tt.etag, tt.since)
			}
		})
	}
}

// origin is a fetch that behaves as a validating HTTP upstream would through a transport: it sends
// what Conditional asks, answers 304 when the batch's tag (its keys and their versions) matches or
// nothing changed since the date, and records what it was asked.
type origin struct {
	mu       sync.Mutex
	version  map[string]int
	modified time.Time
	asked    []string // "keys|If-None-Match|If-Modified-Since"
	status   []int
}

func (o *origin) fetch(ctx context.Context, keys []string) (map[string]string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	cond := Conditional(ctx)
	o.asked = append(o.asked, strings.Join(keys, ",")+"|"+cond.Get("If-None-Match")+"|"+cond.Get("If-Modified-Since"))
	var tag strings.Builder
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := o.version[k]; ok {
			out[k] = k + string(rune('0'+v))
			tag.WriteString(out[k] + ";")
		}
	}
	etag := `"` + tag.String() + `"`
	h := http.Header{"Etag": {etag}, "Last-Modified": {o.modified.Format(http.TimeFormat)},
		"Date": {now().Format(http.TimeFormat)}}
	ims, err := http.ParseTime(cond.Get("If-Modified-Since"))
	if inm := cond.Get("If-None-Match"); inm == etag || (inm == "" && err == nil && !o.modified.After(ims)) {
		o.status = append(o.status, 304)
		Answered(ctx, http.StatusNotModified, h)
		return map[string]string{}, nil
	}
	o.status = append(o.status, 200)
	Answered(ctx, http.StatusOK, h)
	return out, nil
}

// TestRevalidateFlow: a stale entry with validators is revalidated (304: the stored value, fresh
// again for a TTL), a change makes it a 200 with the new value, a key gone upstream is dropped, and
// past KeepStale nothing is left to revalidate.
func TestRevalidateFlow(t *testing.T) {
	clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	t.Cleanup(func() { now = time.Now })
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	k := newKind(t, Policy{TTL: 10 * time.Second, KeepStale: time.Minute}, nil)
	o := &origin{version: map[string]int{"a": 1, "b": 1}, modified: clock.Add(-time.Hour)}
	load := func(keys ...string) map[string]string {
		t.Helper()
		got, err := k.Load(context.Background(), keys, o.fetch)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	steps := []struct {
		name   string
		before func()
		keys   []string
		want   map[string]string
		asked  string // "" = no call
		status int
	}{
		{"cold", nil, []string{"a", "b"}, map[string]string{"a": "a1", "b": "b1"}, "a,b||", 200},
		{"fresh", func() { advance(5 * time.Second) }, []string{"b", "a"}, map[string]string{"a": "a1", "b": "b1"}, "", 0},
		{"stale: If-None-Match, 304", func() { advance(10 * time.Second) }, []string{"b", "a"},
			map[string]string{"a": "a1", "b": "b1"}, `a,b|"a1;b1;"|`, 304},
		{"refreshed by the 304", func() { advance(5 * time.Second) }, []string{"a", "b"}, map[string]string{"a": "a1", "b": "b1"}, "", 0},
		{"a subset: If-Modified-Since, 304", func() { advance(10 * time.Second) }, []string{"a"},
			map[string]string{"a": "a1"}, "a||" + clock.Add(-time.Hour).Format(http.TimeFormat), 304},
		{"changed: 200, new value", func() {
			advance(10 * time.Second)
			o.mu.Lock()
			o.version["b"], o.modified = 2, clock.Add(-2*time.Second)
			o.mu.Unlock()
		}, []string{"b"}, map[string]string{"b": "b2"}, "b||" + clock.Add(-time.Hour).Format(http.TimeFormat), 200},
		{"gone upstream: dropped", func() {
			advance(11 * time.Second)
			o.mu.Lock()
			delete(o.version, "a")
			o.mu.Unlock()
		}, []string{"a"}, map[string]string{}, "a||" + clock.Add(-time.Hour).Format(http.TimeFormat), 200},
		{"past KeepStale: a plain fetch", func() { advance(2 * time.Minute) }, []string{"b"}, map[string]string{"b": "b2"}, "b||", 200},
	}
	calls := 0
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		if diff := cmp.Diff(st.want, load(st.keys...)); diff != "" {
			t.Fatalf("%s (-want +got):\n%s", st.name, diff)
		}
		o.mu.Lock()
		asked, status := slices.Clone(o.asked), slices.Clone(o.status)
		o.mu.Unlock()
		if st.asked == "" {
			if len(asked) != calls {
				t.Fatalf("%s: called %v, want no call", st.name, asked[calls:])
			}
			continue
		}
		if len(asked) != calls+1 || asked[calls] != st.asked || status[calls] != st.status {
			t.Fatalf("%s: asked %v (%v), want %q answered %d", st.name, asked[calls:], status[calls:], st.asked, st.status)
		}
		calls++
	}
}

// TestRevalidationSpanEvent: a 304 revalidation leaves an event on the request's span naming the
// kind and how many keys it refreshed.
func TestRevalidationSpanEvent(t *testing.T) {
	clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	t.Cleanup(func() { now = time.Now })
	k := newKind(t, Policy{TTL: 10 * time.Second, KeepStale: time.Minute}, nil)
	o := &origin{version: map[string]int{"a": 1, "b": 1}, modified: clock.Add(-time.Hour)}
	if _, err := k.Load(context.Background(), []string{"a", "b"}, o.fetch); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	clock = clock.Add(11 * time.Second)
	mu.Unlock()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	if _, err := k.Load(ctx, []string{"a", "b"}, o.fetch); err != nil {
		t.Fatal(err)
	}
	span.End()
	var got []string
	for _, ev := range rec.Ended()[0].Events() {
		for _, a := range ev.Attributes {
			got = append(got, ev.Name+" "+string(a.Key)+"="+a.Value.Emit())
		}
	}
	want := []string{"trellis.cache.revalidated cache=test_by_id", "trellis.cache.revalidated keys=2", "trellis.cache.revalidated result=not_modified"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("span events (-want +got):\n%s", diff)
	}
}
