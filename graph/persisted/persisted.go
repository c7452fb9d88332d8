package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/trellisgw/trellis/cache"
	"github.com/trellisgw/trellis/graph/errcode"
)

// Queries resolves persisted queries: automatic ones through a Cache, trusted documents from a
// Manifest. It implements graph.PersistedQueries.
type Queries struct {
	automatic bool
	store     cache.Cache[string] // by lowercase hex SHA-256; nil when automatic is off
	manifest  *Manifest           // nil unless trusted documents are enforced
	lookups   metric.Int64Counter
}

// New returns the persisted queries cfg describes (defaults applied): with cfg.Manifest set it loads
// the manifest and enforces it; else, when automatic persisted queries are on, it stores them in
// store (which the caller owns and closes).
func New(cfg Config, store cache.Cache[string]) (*Queries, error) {
	cfg = cfg.WithDefaults()
	q := &Queries{automatic: cfg.AutomaticOn(), store: store}
	if cfg.Manifest != "" {
		m, err := LoadManifest(cfg.Manifest)
		if err != nil {
			return nil, err
		}
		q.manifest = m
	}
	if q.automatic && store == nil {
		return nil, fmt.Errorf("persisted queries: automatic persisted queries need a store")
	}
	var err error
	q.lookups, err = otel.Meter("github.com/trellisgw/trellis/graph/persisted").Int64Counter(
		"trellis.persisted_queries.lookups",
		metric.WithDescription("Persisted-query look-ups by result: hit, miss, registered, refused (not in the trusted documents, or a wrong hash)."))
	if err != nil {
		return nil, fmt.Errorf("persisted queries: metric: %w", err)
	}
	return q, nil
}

// Resolve implements graph.PersistedQueries.
func (q *Queries) Resolve(ctx context.Context, p *graphql.RawParams, documentID string) *gqlerror.Error {
	hash, err := persistedHash(p.Extensions)
	if err != nil {
		return err
	}
	id := documentID
	if id == "" {
		id = hash
	}
	switch {
	case q.manifest != nil:
		return q.trusted(ctx, p, id)
	case id == "":
		return nil
	case !q.automatic:
		return errcode.New(errcode.PersistedNotSupported, "persisted queries are not enabled on this gateway")
	}
	if p.Query == "" {
		query, ok := q.store.Get(ctx, id)
		if ok && sha256Hex(query) != id {
			// The store is shared (Redis): whatever is under a hash is checked against it, so that a
			// write to the store by anyone else cannot swap the query a known hash runs.
			q.store.Delete(ctx, id)
			q.count(ctx, "refused")
			ok = false
		}
		if !ok {
			q.count(ctx, "miss")
			return errcode.New(errcode.PersistedNotFound, "PersistedQueryNotFound")
		}
		q.count(ctx, "hit")
		p.Query = query
		return nil
	}
	if sha256Hex(p.Query) != id {
		q.count(ctx, "refused")
		return errcode.BadInput("extensions.persistedQuery.sha256Hash", "the persisted query's sha256Hash is not the SHA-256 of its query")
	}
	q.store.Add(ctx, id, p.Query)
	q.count(ctx, "registered")
	return nil
}

// sha256Hex returns the lowercase hex SHA-256 of s, the form APQ hashes take.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// trusted lets p proceed only when it names a listed document or is one, word for word.
func (q *Queries) trusted(ctx context.Context, p *graphql.RawParams, id string) *gqlerror.Error {
	if id != "" {
		body, ok := q.manifest.byID[id]
		if !ok {
			q.count(ctx, "miss")
			return errcode.New(errcode.PersistedNotFound, "PersistedQueryNotFound: no trusted document has this id")
		}
		if p.Query != "" && p.Query != body {
			q.count(ctx, "refused")
			return errcode.BadInput("query", "the query is not the trusted document its id names")
		}
		q.count(ctx, "hit")
		p.Query = body
		return nil
	}
	if p.Query == "" {
		return nil // no document at all: the transport says so
	}
	if !q.manifest.bodies[p.Query] {
		q.count(ctx, "refused")
		return errcode.New(errcode.PersistedNotInList, "this gateway runs only trusted documents, and this operation is not one of them")
	}
	q.count(ctx, "hit")
	return nil
}

func (q *Queries) count(ctx context.Context, result string) {
	q.lookups.Add(ctx, 1, metric.WithAttributes(attribute.String("result", result)))
}

// persistedHash returns extensions.persistedQuery.sha256Hash, "" when there is no persistedQuery, or
// an error when it is malformed.
func persistedHash(ext map[string]any) (string, *gqlerror.Error) {
	raw, ok := ext["persistedQuery"]
	if !ok || raw == nil {
		return "", nil
	}
	pq, ok := raw.(map[string]any)
	if !ok {
		return "", errcode.BadInput("extensions.persistedQuery", "extensions.persistedQuery must be an object")
	}
	if v, ok := pq["version"]; ok && fmt.Sprint(v) != "1" {
		return "", errcode.New(errcode.PersistedNotSupported, "only version 1 of persisted queries is supported")
	}
	hash, ok := pq["sha256Hash"].(string)
	if !ok || hash == "" {
		return "", errcode.BadInput("extensions.persistedQuery.sha256Hash", "extensions.persistedQuery.sha256Hash must be a non-empty string")
	}
	return hash, nil
}
