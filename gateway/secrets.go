package gateway

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trellisgw/trellis/internal/secret"
)

// Every secret of the config (a field of type secret.Secret, wherever it sits) can come from three
// places, applied in this order by one pass over the config:
//
//  1. the file itself: `auth.jwt.hs256_secret: ...`;
//  2. a file named by the key's `_file` twin: `auth.jwt.hs256_secret_file: /etc/trellis/secrets/hs256`
//     (a Kubernetes Secret mounted as files); the content, without a trailing newline, is the secret.
//     Setting both is an error;
//  3. the environment: TRELLIS_ and the key in upper case with every "." and "-" as "_"
//     (TRELLIS_AUTH_JWT_HS256_SECRET); set and non-empty, it wins over both.
//
// A new secret field is covered by declaring it secret.Secret: nothing here names the keys.

// fileSuffix marks the key that names a secret's file.
const fileSuffix = "_file"

// legacyEnv are environment variables of earlier releases, still honoured (after the TRELLIS_<KEY> one).
var legacyEnv = map[string]string{
	"auth.jwt.hs256_secret": "TRELLIS_AUTH_HS256_SECRET",
	"server.admin_token":    "TRELLIS_ADMIN_TOKEN",
}

// SecretEnv returns the environment variable that overrides the secret at key, e.g.
// TRELLIS_AUTH_JWT_HS256_SECRET for auth.jwt.hs256_secret.
func SecretEnv(key string) string {
	return "TRELLIS_" + strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(key))
}

// SecretKeys returns the keys of every secret in c, sorted: the fixed ones and those under maps.
func SecretKeys(c *Config) []string {
	var keys []string
	walkSecrets(reflect.ValueOf(c).Elem(), "", func(key string, _ *secret.Secret) { keys = append(keys, key) })
	sort.Strings(keys)
	return keys
}

// secretFile is a `<key>_file` entry of the config file.
type secretFile struct {
	key  string // the secret's key, without the suffix
	path string
	line int
}

// findSecretFiles returns the `_file` twins of the secrets in c written in the document root.
func findSecretFiles(root *yaml.Node, c *Config) []secretFile {
	secrets := map[string]bool{}
	for _, k := range SecretKeys(c) {
		secrets[k] = true
	}
	var out []secretFile
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		if n.Kind == yaml.DocumentNode {
			for _, c := range n.Content {
				walk(c, prefix)
			}
			return
		}
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			path := key.Value
			if prefix != "" {
				path = prefix + "." + key.Value
			}
			if name, ok := strings.CutSuffix(path, fileSuffix); ok && secrets[name] && val.Kind == yaml.ScalarNode {
				out = append(out, secretFile{key: name, path: val.Value, line: key.Line})
				continue
			}
			walk(val, path)
		}
	}
	walk(root, "")
	return out
}

// applySecrets fills the secrets of c from their files, then from the environment (lookup is
// os.LookupEnv), and reports every problem, each naming its key.
func applySecrets(c *Config, files []secretFile, lookup func(string) (string, bool)) error {
	byKey := map[string]secretFile{}
	for _, f := range files {
		byKey[f.key] = f
	}
	var errs []error
	walkSecrets(reflect.ValueOf(c).Elem(), "", func(key string, s *secret.Secret) {
		if f, ok := byKey[key]; ok {
			if *s != "" {
				errs = append(errs, fmt.Errorf("%s%s (line %d): %s is set too; keep one", key, fileSuffix, f.line, key))
			} else if f.path == "" {
				errs = append(errs, fmt.Errorf("%s%s (line %d): empty path", key, fileSuffix, f.line))
			} else if raw, err := os.ReadFile(f.path); err != nil {
				errs = append(errs, fmt.Errorf("%s%s (line %d): %w", key, fileSuffix, f.line, err))
			} else {
				*s = secret.Secret(strings.TrimRight(string(raw), "\r\n"))
			}
		}
		for _, env := range []string{SecretEnv(key), legacyEnv[key]} {
			if v, ok := lookup(env); ok && env != "" && v != "" {
				*s = secret.Secret(v)
				break
			}
		}
		if *s == secret.Redacted {
			errs = append(errs, fmt.Errorf("%s: %q is what `gateway config print` shows in place of a secret, not one; set the secret itself", key, secret.Redacted))
		}
	})
	return errors.Join(errs...)
}

var secretType = reflect.TypeFor[secret.Secret]()

// walkSecrets calls visit with the key and an addressable pointer of every secret.Secret under v,
// following YAML field names through structs and string-keyed maps (a map's values are copied out,
// visited and stored back).
func walkSecrets(v reflect.Value, prefix string, visit func(key string, s *secret.Secret)) {
	join := func(name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	switch {
	case v.Type() == secretType:
		visit(prefix, v.Addr().Interface().(*secret.Secret))
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			walkSecrets(v.Elem(), prefix, visit)
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			walkSecrets(v.Field(i), join(name), visit)
		}
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		iter := v.MapRange()
		for iter.Next() {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(iter.Value())
			walkSecrets(elem, join(iter.Key().String()), visit)
			v.SetMapIndex(iter.Key(), elem)
		}
	}
}
