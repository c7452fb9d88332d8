package usage

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/trellisgw/trellis/graph/identity"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testSDL = `
type Query {
  user(id: ID!): User
  users(first: Int = 10, order: Order, filter: Filter): [User!]
  legacy: Int @deprecated(reason: "use users")
}
type User { id: ID! name: String! @deprecated(reason: "use fullName") fullName: String friends(first: Int, old: Boolean @deprecated): [User!] }
enum Order { NAME OLDEST @deprecated(reason: "gone") }
input Filter { name: String nick: String @deprecated }
`

var testSchema = gqlparser.MustLoadSchema(&ast.Source{Name: "test.graphql", Input: testSDL})

func query(t testing.TB, q string) *ast.QueryDocument {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(testSchema, q)
	if errs != nil {
		t.Fatalf("%s: %v", q, errs)
	}
	return doc
}

func TestCollect(t *testing.T) {
	tests := []struct {
		name           string
		query          string
		want           []string
		wantDeprecated []Deprecation
	}{
		{"fields and types", `{ user(id: "1") { id fullName } }`,
			[]string{"Query", "Query.user", "Query.user(id:)", "User", "User.fullName", "User.id"}, nil},
		{"fragments and inline fragments", `query Q { users { ...F } } fragment F on User { ... on User { friends(first: 2) { ...F2 } } } fragment F2 on User { id }`,
			[]string{"Query", "Query.users", "User", "User.friends", "User.friends(first:)", "User.id"}, nil},
		{"enum values and input fields written", `{ users(order: OLDEST, filter: {nick: "x"}) { id } }`,
			[]string{"Filter", "Filter.nick", "Order.OLDEST", "Query", "Query.users", "Query.users(filter:)", "Query.users(order:)", "User", "User.id"},
			[]Deprecation{{"Filter.nick", "No longer supported"}, {"Order.OLDEST", "gone"}}},
		{"variables' types, not their values", `query($o: Order = NAME, $f: Filter) { users(order: $o, filter: $f) { id } }`,
			[]string{"Filter", "Order", "Order.NAME", "Query", "Query.users", "Query.users(filter:)", "Query.users(order:)", "User", "User.id"}, nil},
		{"deprecated field and argument", `{ legacy user(id: "1") { name friends(old: true) { id } } }`,
			[]string{"Query", "Query.legacy", "Query.user", "Query.user(id:)", "User", "User.friends", "User.friends(old:)", "User.id", "User.name"},
			[]Deprecation{{"Query.legacy", "use users"}, {"User.friends(old:)", "No longer supported"}, {"User.name", "use fullName"}}},
		{"introspection and __typename are not schema coordinates", `{ __typename __type(name: "User") { name } }`, []string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := query(t, tt.query)
			info := collect(testSchema, doc, doc.Operations[0])
			if diff := cmp.Diff(info.coords, tt.want); diff != "" {
				t.Errorf("coords (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(info.deprecated, tt.wantDeprecated); diff != "" {
				t.Errorf("deprecated (-got +want):\n%s", diff)
			}
		})
	}
}

// The coordinates of an operation are computed once per document, not per request.
func TestInfosOncePerDocument(t *testing.T) {
	c := &infos{schema: testSchema}
	doc := query(t, `{ user(id: "1") { id } }`)
	a, b := c.get(doc, doc.Operations[0]), c.get(doc, doc.Operations[0])
	if a != b {
		t.Error("two look-ups of one operation computed its coordinates twice")
	}
	other := query(t, `{ user(id: "1") { id } }`)
	if c.get(other, other.Operations[0]) == a {
		t.Error("another document shares the first one's entry")
	}
}

func TestClientApp(t *testing.T) {
	cfg := Config{ClientNameHeaders: []string{"X-App", "apollographql-client-name"}, MaxClients: 2}.WithDefaults()
	c := newClients(cfg)
	long := string(make([]byte, maxClientLen+1))
	tests := []struct {
		name    string
		headers map[string]string
		want    identity.App
	}{
		{"none", nil, identity.App{}},
		{"apollo headers", map[string]string{"Apollographql-Client-Name": "ios", "Apollographql-Client-Version": "1.2"}, identity.App{Name: "ios", Version: "1.2"}},
		{"configured header first", map[string]string{"X-App": "android", "Apollographql-Client-Name": "ios", "Apollographql-Client-Version": "3"}, identity.App{Name: "android", Version: "3"}},
		{"name only", map[string]string{"Apollographql-Client-Name": "ios", "Apollographql-Client-Version": "1.2"}, identity.App{Name: "ios", Version: "1.2"}},
		{"full: a third pair is other", map[string]string{"X-App": "web", "Apollographql-Client-Version": "9"}, identity.App{Name: ClientOther}},
		{"kept pairs stay", map[string]string{"X-App": "android", "Apollographql-Client-Version": "3"}, identity.App{Name: "android", Version: "3"}},
		{"spaces", map[string]string{"X-App": "my app"}, identity.App{Name: ClientOther}},
		{"control characters", map[string]string{"X-App": "a\tb"}, identity.App{Name: ClientOther}},
		{"non-ASCII", map[string]string{"X-App": "äpp"}, identity.App{Name: ClientOther}},
		{"too long", map[string]string{"X-App": long}, identity.App{Name: ClientOther}},
		{"reserved", map[string]string{"X-App": "other", "Apollographql-Client-Version": "1"}, identity.App{Name: ClientOther}},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.headers {
			h.Set(k, v)
		}
		if got := *c.app(h); got != tt.want {
			t.Errorf("%s: app = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// fakeClock is a settable clock for the tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestUsage(t *testing.T, cfg Config, opts ...Option) (*Usage, *fakeClock) {
	t.Helper()
	cfg.FlushInterval = time.Hour // flushed by the tests
	u := New(cfg, testSchema, opts...)
	clock := &fakeClock{t: time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)}
	u.now = clock.now
	t.Cleanup(func() { _ = u.Close() })
	return u, clock
}

// run counts the operation q as client app would send it, through the extension.
func run(t *testing.T, u *Usage, app identity.App, q string) *graphql.Response {
	t.Helper()
	doc := query(t, q)
	ctx := identity.NewAppContext(context.Background(), &app)
	rc := &graphql.OperationContext{RawQuery: q, Doc: doc, Operation: doc.Operations[0]}
	ext := u.Extension()
	if err := ext.(graphql.OperationContextMutator).MutateOperationContext(ctx, rc); err != nil {
		t.Fatal(err)
	}
	if ri, ok := ext.(graphql.ResponseInterceptor); ok {
		return ri.InterceptResponse(graphql.WithOperationContext(ctx, rc), func(context.Context) *graphql.Response { return &graphql.Response{} })
	}
	return nil
}

func getJSON(t *testing.T, h http.Handler, target string, wantStatus int) Answer {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	if rec.Code != wantStatus {
		t.Fatalf("GET %s = %d %s, want %d", target, rec.Code, rec.Body, wantStatus)
	}
	var a Answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("GET %s: %v: %s", target, err, rec.Body)
	}
	return a
}

func TestUsageCountsPerClientAndOperation(t *testing.T) {
	u, clock := newTestUsage(t, Config{})
	ios1, ios2 := identity.App{Name: "ios", Version: "1.0"}, identity.App{Name: "ios", Version: "2.0"}
	run(t, u, ios1, `query Profile { user(id: "1") { name } }`)
	run(t, u, ios1, `query Profile { user(id: "1") { name } }`)
	run(t, u, ios2, `query Profile { user(id: "1") { fullName } }`)
	clock.add(2 * time.Hour) // a later period
	run(t, u, ios2, `query Friends { user(id: "1") { fullName friends { id } } }`)

	a := getJSON(t, u.UsageHandler(), "/admin/schema/usage?coordinate=User.fullName&coordinate=User.name&coordinate=Nope.x", http.StatusOK)
	if len(a.Coordinates) != 3 {
		t.Fatalf("coordinates %+v", a.Coordinates)
	}
	full, name, nope := a.Coordinates[0], a.Coordinates[1], a.Coordinates[2]
	last := clock.now()
	wantFull := []ClientUsage{
		{Client: "ios", Version: "2.0", Operation: "Friends", Count: 1, LastSeen: last},
		{Client: "ios", Version: "2.0", Operation: "Profile", Count: 1, LastSeen: last.Add(-2 * time.Hour)},
	}
	if diff := cmp.Diff(full.Clients, wantFull); diff != "" || full.Count != 2 || full.Deprecated || !full.Exists {
		t.Errorf("User.fullName: %+v; clients (-got +want):\n%s", full, diff)
	}
	if name.Count != 2 || !name.Deprecated || name.DeprecationReason != "use fullName" || len(name.Clients) != 1 ||
		name.Clients[0].Version != "1.0" || name.Clients[0].Count != 2 {
		t.Errorf("User.name (deprecated, used by ios 1.0 only): %+v", name)
	}
	if nope.Exists || nope.Count != 0 || nope.LastSeen != nil {
		t.Errorf("Nope.x: %+v", nope)
	}
	// A window of one hour leaves out the earlier period.
	a = getJSON(t, u.UsageHandler(), "/admin/schema/usage?coordinate=User.fullName&window=1h", http.StatusOK)
	if a.Coordinates[0].Count != 1 {
		t.Errorf("window 1h: %+v", a.Coordinates[0])
	}
	// Deprecations: each deprecated coordinate of the schema, used or not.
	a = getJSON(t, u.DeprecationsHandler(), "/admin/schema/deprecations", http.StatusOK)
	var listed []string
	for _, c := range a.Coordinates {
		listed = append(listed, c.Coordinate+"="+strconv.FormatInt(c.Count, 10))
	}
	want := []string{"Filter.nick=0", "Order.OLDEST=0", "Query.legacy=0", "User.friends(old:)=0", "User.name=2"}
	if diff := cmp.Diff(listed, want); diff != "" {
		t.Errorf("deprecations (-got +want):\n%s", diff)
	}
}

func TestUsageHandlerErrors(t *testing.T) {
	u, _ := newTestUsage(t, Config{})
	for _, target := range []string{"/admin/schema/usage", "/admin/schema/usage?coordinate=A&window=x", "/admin/schema/usage?coordinate=A&window=9999h"} {
		rec := httptest.NewRecorder()
		u.UsageHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code != http.StatusBadRequest || !json.Valid(rec.Body.Bytes()) || !strings.Contains(rec.Body.String(), `"code":"BAD_USER_INPUT"`) {
			t.Errorf("GET %s = %d %s; want 400 BAD_USER_INPUT", target, rec.Code, rec.Body)
		}
	}
}

func TestDeprecationWarnings(t *testing.T) {
	off, _ := newTestUsage(t, Config{})
	if resp := run(t, off, identity.App{}, `{ legacy }`); resp != nil {
		t.Errorf("warnings are off by default, got a response interceptor: %+v", resp)
	}
	on, _ := newTestUsage(t, Config{DeprecationWarnings: true})
	resp := run(t, on, identity.App{}, `{ legacy user(id: "1") { fullName } }`)
	want := []Deprecation{{Coordinate: "Query.legacy", Reason: "use users"}}
	if diff := cmp.Diff(resp.Extensions["deprecations"], any(want)); diff != "" {
		t.Errorf("extensions.deprecations (-got +want):\n%s", diff)
	}
	if resp := run(t, on, identity.App{}, `{ user(id: "1") { fullName } }`); resp.Extensions != nil {
		t.Errorf("no deprecated element used, extensions = %v", resp.Extensions)
	}
}

func TestSeriesBounded(t *testing.T) {
	u, _ := newTestUsage(t, Config{MaxSeries: 2})
	run(t, u, identity.App{Name: "a", Version: "1"}, `query A { legacy }`)
	run(t, u, identity.App{Name: "a", Version: "1"}, `query B { legacy }`)
	run(t, u, identity.App{Name: "b", Version: "1"}, `query A { legacy }`) // a third pair
	run(t, u, identity.App{Name: "a", Version: "1"}, `query A { legacy }`) // a kept one
	a := getJSON(t, u.UsageHandler(), "/admin/schema/usage?coordinate=Query.legacy", http.StatusOK)
	want := []string{"a 1 A 2", "a 1 B 1", "other  other 1"}
	var got []string
	for _, c := range a.Coordinates[0].Clients {
		got = append(got, c.Client+" "+c.Version+" "+c.Operation+" "+strconv.FormatInt(c.Count, 10))
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("series (-got +want):\n%s", diff)
	}
}

func TestOperationNamesBounded(t *testing.T) {
	u, _ := newTestUsage(t, Config{MaxOperations: 1})
	run(t, u, identity.App{}, `query A { legacy }`)
	run(t, u, identity.App{}, `query B { legacy }`)
	a := getJSON(t, u.UsageHandler(), "/admin/schema/usage?coordinate=Query.legacy", http.StatusOK)
	var ops []string
	for _, c := range a.Coordinates[0].Clients {
		ops = append(ops, c.Operation)
	}
	if diff := cmp.Diff(ops, []string{"A", OperationOther}); diff != "" {
		t.Errorf("operations (-got +want):\n%s", diff)
	}
}

// Two instances over one Redis answer for both.
func TestRedisStoreSharedByInstances(t *testing.T) {
	addr := os.Getenv("TRELLIS_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("no Redis: run under scripts/with-redis.sh (make test does)")
	}
	cfg := Config{Store: StoreRedis}
	cfg.Redis.Addr = addr
	cfg.Redis.KeyPrefix = "unit:usage:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	a, clock := newTestUsage(t, cfg)
	b, _ := newTestUsage(t, cfg)
	b.now = clock.now
	run(t, a, identity.App{Name: "ios", Version: "1"}, `query P { user(id: "1") { name } }`)
	run(t, b, identity.App{Name: "ios", Version: "1"}, `query P { user(id: "1") { name } }`)
	run(t, b, identity.App{Name: "web", Version: "7"}, `query P { user(id: "1") { name } }`)
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ans := getJSON(t, a.UsageHandler(), "/admin/schema/usage?coordinate=User.name", http.StatusOK)
	c := ans.Coordinates[0]
	if c.Count != 3 || len(c.Clients) != 2 || c.Clients[0].Client != "ios" || c.Clients[0].Count != 2 || !c.Clients[0].LastSeen.Equal(clock.now()) {
		t.Errorf("User.name over two instances: %+v", c)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := Config{ClientNameHeaders: []string{"bad header"}, MaxClients: -1, Period: time.Millisecond, Store: "disk"}.WithDefaults()
	want := `client_name_headers[0]: "bad header" is not a header name
max_clients: must be between 1 and 10000, got -1
period: must be at least 1s, got 1ms
retention: must be between period (1ms) and 10000 periods, got 720h0m0s
flush_interval: must be between 10ms and period (1ms), got 10s
store: "disk" is not one of memory, redis`
	if err := bad.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate =\n%v\nwant\n%s", err, want)
	}
	redis := Config{Store: StoreRedis}.WithDefaults()
	if err := redis.Validate(); err == nil || !strings.Contains(err.Error(), "redis.addr: required") {
		t.Errorf("store redis without addr: %v", err)
	}
}

// A Redis that does not answer: the flush is dropped and logged, the admin answer is 503 with a
// stable code and nothing of the failure's detail.
func TestRedisDown(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })
	cfg := Config{Store: StoreRedis}
	cfg.Redis.Addr = "127.0.0.1:1" // nothing listens on port 1
	cfg.Redis.Timeout = 200 * time.Millisecond
	u, _ := newTestUsage(t, cfg)
	run(t, u, identity.App{Name: "ios", Version: "1"}, `{ legacy }`)
	if err := u.Flush(context.Background()); err == nil {
		t.Error("a flush to a dead Redis reported no error")
	}
	rec := httptest.NewRecorder()
	u.UsageHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/schema/usage?coordinate=Query.legacy", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code":"INTERNAL_SERVER_ERROR"`) || strings.Contains(rec.Body.String(), "127.0.0.1") {
		t.Errorf("GET with Redis down = %d %s; want 503 without the address", rec.Code, rec.Body)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "trellis.schema.usage.store_errors" {
				for _, dp := range sum.DataPoints {
					op, _ := dp.Attributes.Value("op")
					got[op.AsString()] += dp.Value
				}
			}
		}
	}
	if got["flush"] < 1 || got["query"] != 1 {
		t.Errorf("trellis.schema.usage.store_errors = %v; want flush >= 1 (explicit and the handler's), query 1", got)
	}
}

// An operation's entry lives as long as its document: once the document is collected, the entry goes.
func TestInfosDropWithTheDocument(t *testing.T) {
	c := &infos{schema: testSchema}
	func() {
		doc := query(t, `{ user(id: "1") { id } }`)
		c.get(doc, doc.Operations[0])
	}()
	deadline := time.Now().Add(5 * time.Second)
	for c.memo.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the entry outlived its document")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
