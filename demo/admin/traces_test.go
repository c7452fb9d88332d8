package admin

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// traceFake is a fakeBackend that also remembers trace ids.
type traceFake struct {
	*fakeBackend
	ids map[string][][]string
}

func (f traceFake) InstanceTraceIDs(svc string) [][]string { return f.ids[svc] }

var _ TraceBackend = traceFake{}

func TestCallsListTraceIDs(t *testing.T) {
	tests := []struct {
		name    string
		backend Backend
		want    [][]string // per instance of service "a"
	}{
		{"trace backend", traceFake{newFake(), map[string][][]string{"a": {{"t1", "t2"}, nil}}}, [][]string{{"t1", "t2"}, nil}},
		{"plain backend", newFake(), [][]string{nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(NewHandler(tt.backend, nil))
			defer srv.Close()
			report, err := NewClient(srv.URL).Calls(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, in := range report["a"] {
				got = append(got, in.TraceIDs)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("trace ids of a's instances (-got +want):\n%s", diff)
			}
		})
	}
}
