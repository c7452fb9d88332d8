package restkit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestKeys(t *testing.T) {
	many := url.Values{"id": make([]string, MaxKeys+1)}
	for i := range many["id"] {
		many["id"][i] = "x"
	}
	for _, tc := range []struct {
		name      string
		query     string
		q         url.Values
		want      []string
		wantField string
	}{
		{name: "absent", query: "", want: []string{}},
		{name: "order kept, duplicates collapsed", query: "id=2&id=1&id=2&id=3", want: []string{"2", "1", "3"}},
		{name: "opaque values", query: "id=..%2Fadmin&id=1%3Fx%3D2&id=%2F", want: []string{"../admin", "1?x=2", "/"}},
		{name: "empty value", query: "id=1&id=", wantField: "id"},
		{name: "too many", q: many, wantField: "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			if q == nil {
				var err error
				if q, err = url.ParseQuery(tc.query); err != nil {
					t.Fatal(err)
				}
			}
			got, apiErr := Keys(q, "id", MaxKeys)
			if tc.wantField != "" {
				if apiErr == nil || apiErr.Field != tc.wantField || apiErr.Status != http.StatusBadRequest {
					t.Fatalf("Keys = %v, %v; want 400 on field %q", got, apiErr, tc.wantField)
				}
				return
			}
			if apiErr != nil {
				t.Fatalf("Keys: %v", apiErr)
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("Keys (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParsePage(t *testing.T) {
	for _, tc := range []struct {
		query     string
		want      Page
		wantField string
	}{
		{query: "", want: Page{Limit: 10}},
		{query: "limit=1&offset=0", want: Page{Limit: 1}},
		{query: "limit=100&offset=99999", want: Page{Limit: 100, Offset: 99999}},
		{query: "limit=0", wantField: "limit"},
		{query: "limit=101", wantField: "limit"},
		{query: "limit=-1", wantField: "limit"},
		{query: "limit=abc", wantField: "limit"},
		{query: "limit=", wantField: "limit"},
		{query: "limit=1.5", wantField: "limit"},
		{query: "limit=1&limit=2", wantField: "limit"},
		{query: "offset=-1", wantField: "offset"},
		{query: "offset=x", wantField: "offset"},
		{query: "offset=99999999999999999999999", wantField: "offset"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			got, err := ParsePage(q)
			if tc.wantField != "" {
				if err == nil || err.Field != tc.wantField || err.Code != CodeInvalidArgument {
					t.Fatalf("ParsePage = %+v, %v; want INVALID_ARGUMENT on %q", got, err, tc.wantField)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParsePage = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	for _, tc := range []struct {
		p               Page
		total, from, to int
	}{
		{Page{Limit: 10}, 100, 0, 10},
		{Page{Limit: 10, Offset: 95}, 100, 95, 100},
		{Page{Limit: 10, Offset: 100}, 100, 100, 100},
		{Page{Limit: 10, Offset: 1000}, 100, 100, 100},
		{Page{Limit: 100, Offset: 0}, 0, 0, 0},
	} {
		if from, to := tc.p.Window(tc.total); from != tc.from || to != tc.to {
			t.Errorf("%+v.Window(%d) = %d, %d; want %d, %d", tc.p, tc.total, from, to, tc.from, tc.to)
		}
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 80) // 160 bytes
	got := Truncate(long)
	if len(got) > MaxEcho || !strings.HasPrefix(long, got) || len(got) < MaxEcho-1 {
		t.Errorf("Truncate: %d bytes %q", len(got), got)
	}
	if Truncate("short") != "short" {
		t.Error("Truncate changed a short string")
	}
}

type sample struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecodeJSON(t *testing.T) {
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		contentLen  int64
		wantStatus  int
		wantCode    string
		wantField   string
	}{
		{name: "ok", body: `{"name":"a","count":2}`},
		{name: "ok with charset", contentType: "application/json; charset=utf-8", body: `{"name":"a"}`},
		{name: "ok trailing space", body: "{\"name\":\"a\"} \n"},
		{name: "no content type", contentType: "-", body: `{}`, wantStatus: 415, wantCode: CodeUnsupportedMediaType},
		{name: "text/plain", contentType: "text/plain", body: `{}`, wantStatus: 415, wantCode: CodeUnsupportedMediaType},
		{name: "bad media type", contentType: "application/json;;=", body: `{}`, wantStatus: 415, wantCode: CodeUnsupportedMediaType},
		{name: "too large", body: `{"name":"` + strings.Repeat("a", 200) + `"}`, wantStatus: 413, wantCode: CodePayloadTooLarge},
		{name: "too large trailing", body: `{}` + strings.Repeat(" ", 200) + "x", wantStatus: 413, wantCode: CodePayloadTooLarge},
		{name: "declared too large", body: `{}`, contentLen: 1 << 20, wantStatus: 413, wantCode: CodePayloadTooLarge},
		{name: "empty", body: ``, wantStatus: 400, wantCode: CodeInvalidArgument},
		{name: "bad json", body: `{"name":`, wantStatus: 400, wantCode: CodeInvalidArgument},
		{name: "syntax", body: `{name}`, wantStatus: 400, wantCode: CodeInvalidArgument},
		{name: "two values", body: `{}{}`, wantStatus: 400, wantCode: CodeInvalidArgument},
		{name: "array", body: `[1]`, wantStatus: 400, wantCode: CodeInvalidArgument},
		{name: "unknown field", body: `{"nope":1}`, wantStatus: 400, wantCode: CodeInvalidArgument, wantField: "nope"},
		{name: "wrong type", body: `{"count":"x"}`, wantStatus: 400, wantCode: CodeInvalidArgument, wantField: "count"},
		{name: "float", body: `{"count":1.5}`, wantStatus: 400, wantCode: CodeInvalidArgument, wantField: "count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			switch tc.contentType {
			case "":
				r.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				r.Header.Set("Content-Type", tc.contentType)
			}
			if tc.contentLen != 0 {
				r.ContentLength = tc.contentLen
			}
			var v sample
			err := DecodeJSON(httptest.NewRecorder(), r, 128, &v)
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			if err == nil || err.Status != tc.wantStatus || err.Code != tc.wantCode || err.Field != tc.wantField {
				t.Fatalf("DecodeJSON = %+v; want %d %s field %q", err, tc.wantStatus, tc.wantCode, tc.wantField)
			}
			if strings.Contains(err.Message, "aaaa") || len(err.Message) > 120 {
				t.Errorf("message echoes input: %q", err.Message)
			}
		})
	}
}

func TestDecodeJSONLongUnknownField(t *testing.T) {
	name := strings.Repeat("z", 500)
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"`+name+`":1}`))
	r.Header.Set("Content-Type", "application/json")
	var v sample
	err := DecodeJSON(httptest.NewRecorder(), r, 4096, &v)
	if err == nil || err.Field == "" || len(err.Field) > MaxEcho {
		t.Fatalf("DecodeJSON = %+v; want a field cut to %d bytes", err, MaxEcho)
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, InvalidArgument("rating", "rating must be between 1 and 5"))
	if w.Code != 400 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	want := `{"error":{"code":"INVALID_ARGUMENT","message":"rating must be between 1 and 5","field":"rating"}}` + "\n"
	if w.Body.String() != want {
		t.Errorf("body = %s, want %s", w.Body, want)
	}
	w = httptest.NewRecorder()
	WriteError(w, NotFound("user not found"))
	if got := w.Body.String(); got != `{"error":{"code":"NOT_FOUND","message":"user not found"}}`+"\n" {
		t.Errorf("field not omitted: %s", got)
	}
}

func TestWriteJSONUnencodable(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, http.StatusOK, map[string]any{"f": func() {}})
	if w.Code != http.StatusInternalServerError || !json.Valid(w.Body.Bytes()) {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
}
