package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trellisgw/trellis/graph/schemacheck"
	schemausage "github.com/trellisgw/trellis/graph/usage"
)

// changeUsage is what a gateway's usage counts say of one breaking change.
type changeUsage struct {
	// Checked is false when usage cannot tell (the change is about values that variables may carry,
	// which are not counted); the change then stays breaking.
	Checked bool `json:"checked"`
	// Coordinate is the coordinate asked: the change's, or its field's for an argument added.
	Coordinate string                    `json:"coordinate,omitempty"`
	Count      int64                     `json:"count"`
	LastSeen   *time.Time                `json:"lastSeen,omitempty"`
	Clients    []schemausage.ClientUsage `json:"clients,omitempty"`
}

// checkedChange is a change with, for a breaking one under -usage, what usage says.
type checkedChange struct {
	schemacheck.Change
	Usage *changeUsage `json:"usage,omitempty"`
}

// usageCoordinate returns the coordinate whose use decides whether breaking change c affects anyone,
// and false when usage cannot tell: only selections and arguments written in documents are counted.
func usageCoordinate(c schemacheck.Change) (string, bool) {
	switch c.Kind {
	case schemacheck.FieldRemoved, schemacheck.FieldTypeChanged, schemacheck.FieldArgumentRemoved, schemacheck.FieldArgumentTypeChanged:
		return c.Coordinate, true
	case schemacheck.FieldArgumentAdded: // a required argument: every use of the field breaks
		field, _, _ := strings.Cut(c.Coordinate, "(")
		return field, true
	}
	return "", false
}

// usageURL returns the admin URL of the usage answer for a gateway's base or /graphql URL.
func usageURL(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("-usage: %q is not an http(s) URL", base)
	}
	if u.Path == "" || u.Path == "/" || strings.HasSuffix(u.Path, "/graphql") {
		u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "graphql"), "/") + "/admin/schema/usage"
	}
	return u, nil
}

// addUsage asks the gateway at base how much each breaking change's coordinate was used in window,
// and returns the changes with the answers; failed reports whether a breaking change that someone
// used (or that usage cannot clear) remains.
func addUsage(ctx context.Context, client *http.Client, base, token string, window time.Duration, changes schemacheck.Report) (out []checkedChange, failed bool, err error) {
	u, err := usageURL(base)
	if err != nil {
		return nil, false, err
	}
	q := url.Values{}
	for _, c := range changes {
		if coord, ok := usageCoordinate(c); ok && c.Level == schemacheck.Breaking {
			q.Add("coordinate", coord)
		}
	}
	byCoord := map[string]schemausage.CoordinateUsage{}
	if len(q) > 0 {
		if window > 0 {
			q.Set("window", window.String())
		}
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, false, fmt.Errorf("-usage: %w", err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, false, fmt.Errorf("-usage: %w", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		if err != nil {
			return nil, false, fmt.Errorf("-usage: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, false, fmt.Errorf("-usage: GET %s: HTTP %d: %.200s", u.Redacted(), resp.StatusCode, body)
		}
		var ans schemausage.Answer
		if err := json.Unmarshal(body, &ans); err != nil {
			return nil, false, fmt.Errorf("-usage: GET %s: %w", u.Redacted(), err)
		}
		for _, c := range ans.Coordinates {
			byCoord[c.Coordinate] = c
		}
	}
	for _, c := range changes {
		cc := checkedChange{Change: c}
		if c.Level == schemacheck.Breaking {
			cc.Usage = &changeUsage{}
			if coord, ok := usageCoordinate(c); ok {
				got := byCoord[coord]
				cc.Usage = &changeUsage{Checked: true, Coordinate: coord, Count: got.Count, LastSeen: got.LastSeen, Clients: got.Clients}
			}
			if !cc.Usage.Checked || cc.Usage.Count > 0 {
				failed = true
			}
		}
		out = append(out, cc)
	}
	return out, failed, nil
}

// usageNote is the text output's note on a breaking change under -usage.
func usageNote(u *changeUsage, window string) string {
	switch {
	case u == nil:
		return ""
	case !u.Checked:
		return " [usage cannot tell: values sent in variables are not counted]"
	case u.Count == 0:
		return fmt.Sprintf(" [unused in %s: passes]", window)
	}
	var who []string
	for i, c := range u.Clients {
		if i == 3 {
			who = append(who, fmt.Sprintf("%d more", len(u.Clients)-3))
			break
		}
		who = append(who, fmt.Sprintf("%s %s (%s) %d×", orNone(c.Client), c.Version, orNone(c.Operation), c.Count))
	}
	return fmt.Sprintf(" [used %d times in %s, last %s: %s]", u.Count, window, u.LastSeen.Format(time.RFC3339), strings.Join(who, ", "))
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
