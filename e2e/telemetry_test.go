package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/gateway"
	"github.com/trellisgw/trellis/telemetry"
	"github.com/trellisgw/trellis/telemetry/requestid"
)

// referenceQuery returns the reference query's text.
func referenceQuery(t testing.TB) string {
	t.Helper()
	q, err := os.ReadFile(filepath.Join("testdata", "reference.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(q)
}

// post sends query with the given headers and returns the status, the response headers and the body.
func (e *env) post(t *testing.T, query string, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	return postTo(t, e.server.URL, query, headers)
}

func postTo(t *testing.T, base, query string, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// tracedHeaders returns headers that make the request's trace recorded (a sampled W3C traceparent with
// a new trace id, see spans) and give it the request id id, plus extra.
func tracedHeaders(id string, extra map[string]string) map[string]string {
	var tid [16]byte
	_, _ = rand.Read(tid[:])
	h := map[string]string{
		"Traceparent":    "00-" + hex.EncodeToString(tid[:]) + "-00f067aa0ba902b7-01",
		requestid.Header: id,
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// spansOf returns the ended spans of the trace whose server span carries requestID.
func spansOf(t *testing.T, requestID string) (server sdktrace.ReadOnlySpan, all []sdktrace.ReadOnlySpan) {
	t.Helper()
	ended := spans.Ended()
	for _, s := range ended {
		if s.SpanKind() == trace.SpanKindServer && attr(s, "trellis.request_id") == requestID {
			server = s
		}
	}
	if server == nil {
		t.Fatalf("no server span with trellis.request_id %s among %d spans", requestID, len(ended))
	}
	for _, s := range ended {
		if s.SpanContext().TraceID() == server.SpanContext().TraceID() {
			all = append(all, s)
		}
	}
	return server, all
}

func attr(s sdktrace.ReadOnlySpan, key attribute.Key) string {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

func TestTraceOfTheReferenceQuery(t *testing.T) {
	e := newEnv(t)
	e.cluster.ResetCalls()
	q := referenceQuery(t)
	const id = "e2e-trace-reference-1"
	headers := tracedHeaders(id, nil)
	status, hdr, raw := e.post(t, q, headers)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, raw)
	}
	if got := hdr.Get(requestid.Header); got != id {
		t.Errorf("X-Request-Id echoed as %q, want %q", got, id)
	}
	server, all := spansOf(t, id)
	if got, want := server.Parent().TraceID().String(), headers["Traceparent"][3:35]; got != want || !server.Parent().IsRemote() {
		t.Errorf("the server span's parent is in trace %s (remote %v), want the caller's %s", got, server.Parent().IsRemote(), want)
	}
	var ops []sdktrace.ReadOnlySpan
	for _, s := range all {
		if attr(s, "graphql.operation.name") != "" {
			ops = append(ops, s)
		}
	}
	if len(ops) != 1 {
		t.Fatalf("%d operation spans, want 1", len(ops))
	}
	op := ops[0]
	if op.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("the operation span's parent is %v, want the server span %v", op.Parent().SpanID(), server.SpanContext().SpanID())
	}
	want := map[string]string{
		"graphql.operation.name": "Reference", "graphql.operation.type": "query",
		"graphql.document.hash": telemetry.DocumentHash(q),
	}
	for k, v := range want {
		if got := attr(op, attribute.Key(k)); got != v {
			t.Errorf("operation span %s = %q, want %q", k, got, v)
		}
	}
	if op.Name() != "query Reference" {
		t.Errorf("operation span name %q, want %q", op.Name(), "query Reference")
	}

	// The upstream clients make a span per attempt and inject the trace context: each client span hangs
	// below the operation span, one per upstream call, and every service saw this trace.
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range all {
		byID[s.SpanContext().SpanID()] = s
	}
	var clients int
	for _, s := range all {
		if s.SpanKind() != trace.SpanKindClient {
			continue
		}
		clients++
		if !below(s, op, byID) {
			t.Errorf("client span %q is not below the operation span", s.Name())
		}
	}
	if want := servedCalls(e.cluster.Calls()); clients != want {
		t.Errorf("%d client spans, want one per upstream call the services served (%d)", clients, want)
	}
	traceID := server.SpanContext().TraceID().String()
	for _, svc := range demo.Services() {
		if len(e.cluster.Calls()[svc]) == 0 {
			continue // the reference query does not call orders
		}
		if ids := e.cluster.TraceIDs(svc); !contains(ids, traceID) {
			t.Errorf("%s saw trace ids %v, want the gateway's %s", svc, ids, traceID)
		}
	}
}

// servedCalls sums the calls the services counted, health checks left out.
func servedCalls(calls map[string]map[string]int) int {
	n := 0
	for _, routes := range calls {
		for route, c := range routes {
			if !healthRoutes[route] {
				n += c
			}
		}
	}
	return n
}

// below reports whether s descends from ancestor through the spans in byID.
func below(s, ancestor sdktrace.ReadOnlySpan, byID map[trace.SpanID]sdktrace.ReadOnlySpan) bool {
	for range 64 {
		p := s.Parent().SpanID()
		if p == ancestor.SpanContext().SpanID() {
			return true
		}
		next, ok := byID[p]
		if !ok {
			return false
		}
		s = next
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestIncomingTraceparentIsContinued(t *testing.T) {
	e := newEnv(t)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const id = "e2e-trace-incoming"
	status, _, raw := e.post(t, `{ topProducts(first: 1) { name } }`, map[string]string{
		"Traceparent": "00-" + traceID + "-00f067aa0ba902b7-01", requestid.Header: id,
	})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, raw)
	}
	server, _ := spansOf(t, id)
	if got := server.SpanContext().TraceID().String(); got != traceID {
		t.Errorf("server span trace id %s, want the caller's %s", got, traceID)
	}
	if got := server.Parent().SpanID().String(); got != "00f067aa0ba902b7" || !server.Parent().IsRemote() {
		t.Errorf("server span parent %s (remote %v), want the caller's span", got, server.Parent().IsRemote())
	}
}

func TestFieldSpansAreOptIn(t *testing.T) {
	for _, on := range []bool{false, true} {
		e := newEnv(t, func(c *gateway.Config) { c.Telemetry.Traces.FieldSpans = on })
		id := "e2e-field-spans-" + map[bool]string{false: "off", true: "on"}[on]
		if status, _, raw := e.post(t, `query Top { topProducts(first: 2) { name reviews { body } } }`,
			tracedHeaders(id, nil)); status != http.StatusOK {
			t.Fatalf("status %d: %s", status, raw)
		}
		_, all := spansOf(t, id)
		var op sdktrace.ReadOnlySpan
		byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
		for _, s := range all {
			byID[s.SpanContext().SpanID()] = s
			if s.Name() == "query Top" {
				op = s
			}
		}
		fields := map[string]int{}
		for _, s := range all {
			if attr(s, "graphql.field.path") == "" {
				continue
			}
			fields[s.Name()]++
			if op == nil || !below(s, op, byID) {
				t.Errorf("field span %s is not below the operation span", s.Name())
			}
		}
		want := map[string]int{}
		if on {
			want = map[string]int{"Query.topProducts": 1, "Product.reviews": 1} // one per resolver field and level
		}
		if diff := cmp.Diff(fields, want); diff != "" {
			t.Errorf("field_spans=%v: field spans (-got +want):\n%s", on, diff)
		}
	}
}
