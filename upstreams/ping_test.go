package upstreams_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/trellisgw/trellis/demo"
	"github.com/trellisgw/trellis/demo/data"
	"github.com/trellisgw/trellis/upstreams/upstreamerr"
)

func TestPing(t *testing.T) {
	tests := []struct {
		name string
		down []string // services whose only instance is down
	}{
		{"all up", nil},
		{"orders down", []string{demo.Orders}},
		{"accounts down", []string{demo.Accounts}},
		{"inventory and reviews down", []string{demo.Inventory, demo.Reviews}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t, data.Config{}, nil)
			ctx := testCtx(t)
			for _, svc := range tt.down {
				if err := e.cluster.SetFault(svc, 0, faultDown()); err != nil {
					t.Fatalf("SetFault(%s): %v", svc, err)
				}
			}
			err := e.clients.Ping(ctx)
			if len(tt.down) == 0 {
				if err != nil {
					t.Fatalf("Ping with all services up: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Ping with %v down succeeded", tt.down)
			}
			if code := upstreamerr.CodeOf(err); code != upstreamerr.Unavailable {
				t.Errorf("Ping error code %q, want %q: %v", code, upstreamerr.Unavailable, err)
			}
			var joined interface{ Unwrap() []error }
			if !errors.As(err, &joined) || len(joined.Unwrap()) != len(tt.down) {
				t.Errorf("Ping error %q: want exactly one error per service down (%d)", err, len(tt.down))
			}
			for _, svc := range demo.Services() {
				isDown := false
				for _, d := range tt.down {
					isDown = isDown || d == svc
				}
				if named := strings.Contains(err.Error(), "upstream "+svc+" "); named != isDown {
					t.Errorf("Ping error %q names %s: %v, want %v", err, svc, named, isDown)
				}
			}
		})
	}
}
