package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestRedacted(t *testing.T) {
	const value = "hunter2-hunter2-hunter2"
	s := Secret(value)
	type holder struct {
		Token Secret `yaml:"token" json:"token"`
	}
	y, err := yaml.Marshal(holder{s})
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(holder{s})
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "s", s, "h", holder{s})
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("x", "s", s)
	renderings := map[string]string{
		"%s": fmt.Sprintf("%s", s), "%v": fmt.Sprintf("%v", s), "%q": fmt.Sprintf("%q", s),
		"%x": fmt.Sprintf("%x", s), "%#v": fmt.Sprintf("%#v", s), "%+v struct": fmt.Sprintf("%+v", holder{s}),
		"%#v struct": fmt.Sprintf("%#v", holder{s}), "yaml": string(y), "json": string(j),
		"slog json": logged.String(), "slog text": text.String(), "error": fmt.Errorf("with %v", s).Error(),
	}
	for name, got := range renderings {
		if strings.Contains(got, value) || strings.Contains(got, fmt.Sprintf("%x", value)) {
			t.Errorf("%s shows the secret: %s", name, got)
		}
		if !strings.Contains(got, Redacted) && !strings.Contains(got, `\u003credacted\u003e`) {
			t.Errorf("%s = %q, want %s in it", name, got, Redacted)
		}
	}
	if string(s) != value {
		t.Errorf("string(s) = %q, want the value", string(s))
	}
	if got := Secret("").String(); got != "" {
		t.Errorf("no secret prints %q, want empty", got)
	}
}
