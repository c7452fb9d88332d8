package configerr

import (
	"errors"
	"testing"
)

func TestPrefix(t *testing.T) {
	inner := errors.Join(errors.New("size: must be > 0"), errors.New("ttl: must be >= 0"))
	outer := errors.Join(Prefix("document_cache", inner), errors.New("addr: required"))
	got := Prefix("server", outer).Error()
	want := "server.document_cache.size: must be > 0\nserver.document_cache.ttl: must be >= 0\nserver.addr: required"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if Prefix("x", nil) != nil {
		t.Fatal("Prefix of nil is not nil")
	}
	base := errors.New("boom")
	if !errors.Is(Prefix("a", base), base) {
		t.Fatal("Prefix loses the cause")
	}
}
