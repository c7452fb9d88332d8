package gateway

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestConfigurationDocumentsEveryKey holds the configuration reference (docs/configuration.md) to its
// promise: every key of the config file, as the defaults spell it, appears in backquotes. A documented
// key may name a user-chosen segment with a placeholder (`upstreams.<any>.policy`, `rate_limit.plans.<name>.capacity`); one ending in a
// placeholder documents a whole map (`auth.propagate.<upstream>`).
func TestConfigurationDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented [][]string
	for _, m := range regexp.MustCompile("`([a-z_]+(?:\\.[A-Za-z0-9_<>*-]+)+)`").FindAllStringSubmatch(string(readme), -1) {
		documented = append(documented, strings.Split(m[1], "."))
	}
	b, err := yaml.Marshal(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	keys := leafKeys(nil, doc.Content[0])
	if len(keys) < 50 {
		t.Fatalf("found only %d keys in the defaults: the walk is broken", len(keys))
	}
	for _, key := range keys {
		if !isDocumented(documented, key) {
			t.Errorf("docs/configuration.md does not document `%s`", strings.Join(key, "."))
		}
	}
}

// leafKeys returns the dotted paths of every scalar or sequence value under n.
func leafKeys(prefix []string, n *yaml.Node) [][]string {
	if n.Kind != yaml.MappingNode {
		return [][]string{prefix}
	}
	var out [][]string
	for i := 0; i+1 < len(n.Content); i += 2 {
		path := append(append([]string(nil), prefix...), n.Content[i].Value)
		out = append(out, leafKeys(path, n.Content[i+1])...)
	}
	return out
}

func isDocumented(documented [][]string, key []string) bool {
	for _, pattern := range documented {
		if matches(pattern, key) {
			return true
		}
	}
	return false
}

// matches reports whether pattern names key; a placeholder segment matches any one segment, and a
// pattern ending in one also matches everything under it.
func matches(pattern, key []string) bool {
	if len(pattern) > len(key) {
		return false
	}
	for i, seg := range pattern {
		placeholder := seg == "*" || strings.HasPrefix(seg, "<")
		if !placeholder && seg != key[i] {
			return false
		}
		if placeholder && i == len(pattern)-1 && len(key) > len(pattern) {
			return true
		}
	}
	return len(pattern) == len(key)
}

func TestMatches(t *testing.T) {
	tests := []struct {
		pattern, key string
		want         bool
	}{
		{"server.mode", "server.mode", true},
		{"server.mode", "server.addr", false},
		{"server", "server.mode", false},
		{"upstreams.<any>.policy", "upstreams.accounts.policy", true},
		{"upstreams.<any>.policy", "upstreams.accounts.retry.attempts", false},
		{"auth.propagate.<upstream>", "auth.propagate.orders.X-User-Id", true},
		{"upstreams.*.url", "upstreams.accounts.url", true},
		{"server.limits.max_depth", "server.limits", false},
	}
	for _, tt := range tests {
		if got := matches(strings.Split(tt.pattern, "."), strings.Split(tt.key, ".")); got != tt.want {
			t.Errorf("matches(%q, %q) = %v, want %v", tt.pattern, tt.key, got, tt.want)
		}
	}
}
