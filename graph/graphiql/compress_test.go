package graphiql

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http/httptest"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"gzip, deflate, br, zstd"}, true},
		{[]string{"br;q=1.0, GZIP;q=0.5"}, true},
		{[]string{"*"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip;q=0.000"}, false},
		{[]string{"br", "gzip"}, true},
		{[]string{"identity"}, false},
		{[]string{"x-gzip2"}, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		for _, v := range tt.header {
			r.Header.Add("Accept-Encoding", v)
		}
		if got := acceptsGzip(r); got != tt.want {
			t.Errorf("Accept-Encoding %q: acceptsGzip = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestGzippedAssets(t *testing.T) {
	m, err := readManifest(Assets())
	if err != nil {
		t.Fatal(err)
	}
	h := Handler("/graphql")
	for _, name := range []string{m.JS, m.CSS} {
		plain, err := fs.ReadFile(Assets(), name)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, method, encoding, rangeHeader string
			wantGzip                            bool
		}{
			{"gzip", "GET", "gzip, br", "", true},
			{"HEAD gzip", "HEAD", "gzip", "", true},
			{"identity", "GET", "", "", false},
			{"gzip refused", "GET", "gzip;q=0", "", false},
			{"range", "GET", "gzip", "bytes=0-9", false},
		}
		for _, tt := range tests {
			t.Run(name+" "+tt.name, func(t *testing.T) {
				req := httptest.NewRequest(tt.method, AssetPrefix+name, nil)
				if tt.encoding != "" {
					req.Header.Set("Accept-Encoding", tt.encoding)
				}
				if tt.rangeHeader != "" {
					req.Header.Set("Range", tt.rangeHeader)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				res := rec.Result()
				if got := res.Header.Get("Vary"); got != "Accept-Encoding" {
					t.Errorf("Vary %q, want Accept-Encoding", got)
				}
				if got := res.Header.Get("Content-Encoding") == "gzip"; got != tt.wantGzip {
					t.Fatalf("gzip-encoded %v, want %v", got, tt.wantGzip)
				}
				body, err := io.ReadAll(res.Body)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case tt.method == "HEAD":
					if len(body) != 0 {
						t.Errorf("HEAD answered %d bytes", len(body))
					}
				case tt.wantGzip:
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(zr)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, plain) {
						t.Error("gzip body does not decode to the asset")
					}
					if len(body) >= len(plain) {
						t.Errorf("gzip body is %d bytes of %d: compression did not happen", len(body), len(plain))
					}
				case tt.rangeHeader != "":
					if res.StatusCode != 206 || !bytes.Equal(body, plain[:10]) {
						t.Errorf("range: status %d, body %q", res.StatusCode, body)
					}
				default:
					if !bytes.Equal(body, plain) {
						t.Error("plain body differs from the asset")
					}
				}
			})
		}
	}
}
