package loaders

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type child struct{ id, parent string }

func TestGrouped(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		found []child
		want  [][]child
	}{
		{
			name:  "upstream order kept per parent, parents in key order",
			keys:  []string{"b", "a", "c"},
			found: []child{{"1", "a"}, {"2", "b"}, {"3", "a"}, {"4", "c"}, {"5", "b"}},
			want:  [][]child{{{"2", "b"}, {"5", "b"}}, {{"1", "a"}, {"3", "a"}}, {{"4", "c"}}},
		},
		{
			name:  "a parent without children gets an empty list",
			keys:  []string{"a", "z"},
			found: []child{{"1", "a"}},
			want:  [][]child{{{"1", "a"}}, {}},
		},
		{
			name:  "nothing found",
			keys:  []string{"a", "b"},
			found: nil,
			want:  [][]child{{}, {}},
		},
		{
			name:  "children of keys not asked for are dropped",
			keys:  []string{"a"},
			found: []child{{"1", "x"}, {"2", "a"}},
			want:  [][]child{{{"2", "a"}}},
		},
		{
			name:  "a repeated key gets the same children",
			keys:  []string{"a", "b", "a"},
			found: []child{{"1", "a"}, {"2", "b"}},
			want:  [][]child{{{"1", "a"}}, {{"2", "b"}}, {{"1", "a"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fetch := grouped(func(context.Context, []string) ([]child, error) { return tt.found, nil },
				func(c child) string { return c.parent })
			got, err := fetch(context.Background(), tt.keys)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(child{})); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			for i, g := range got {
				if g == nil {
					t.Errorf("group %d is nil, want an empty list", i)
				}
				if cap(g) != len(g) {
					t.Errorf("group %d has room to grow (len %d, cap %d): an append would overwrite its neighbour", i, len(g), cap(g))
				}
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		boom := errors.New("boom")
		fetch := grouped(func(context.Context, []string) ([]child, error) { return nil, boom },
			func(c child) string { return c.parent })
		if _, err := fetch(context.Background(), []string{"a"}); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
}

func TestByKey(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		found []child
		want  []*child
	}{
		{name: "in the order asked", keys: []string{"a", "b"}, found: []child{{"1", "a"}, {"2", "b"}},
			want: []*child{{"1", "a"}, {"2", "b"}}},
		{name: "any other order", keys: []string{"a", "b", "c"}, found: []child{{"1", "a"}, {"3", "c"}, {"2", "b"}},
			want: []*child{{"1", "a"}, {"2", "b"}, {"3", "c"}}},
		{name: "missing ones nil", keys: []string{"a", "b", "c"}, found: []child{{"3", "c"}, {"1", "a"}},
			want: []*child{{"1", "a"}, nil, {"3", "c"}}},
		{name: "as many, one not asked for", keys: []string{"a", "b"}, found: []child{{"1", "a"}, {"9", "z"}},
			want: []*child{{"1", "a"}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fetch := byKey(func(context.Context, []string) ([]child, error) { return tt.found, nil },
				func(c child) string { return c.parent })
			got, err := fetch(context.Background(), tt.keys)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(child{})); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}
