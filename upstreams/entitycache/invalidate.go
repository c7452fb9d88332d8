package entitycache

import (
	"context"
)

// Invalidation and purging: in process, and through the shared level to every instance.

// Invalidate drops the entries of keys, of every caller for a private kind, and keeps look-ups in
// flight from storing what they fetched. A nil Kind does nothing.
func (k *Kind[V]) Invalidate(ctx context.Context, keys ...string) {
	if k == nil {
		return
	}
	k.dropLocal(keys)
	if k.l2 != nil {
		rk := make([]string, len(keys))
		for i, key := range keys {
			rk[i] = k.base + entryKey(key)
		}
		k.l2.invalidate(ctx, rk, k.policy.Scope == Private, message{Kind: k.name, Keys: keys})
	}
}

// dropLocal drops the in-process entries of keys (every caller's) and keeps look-ups in flight from
// storing.
func (k *Kind[V]) dropLocal(keys []string) {
	k.epoch.Add(1)
	for _, key := range keys {
		if k.policy.Scope == Public {
			k.mem.Delete(context.Background(), entryKey(key))
			continue
		}
		k.mem.DeletePrefix(entryKey(key))
	}
}

// Purge drops every entry, in the shared level too (there by SCAN: an admin's purge, not a
// request's). A nil Kind does nothing.
func (k *Kind[V]) Purge(ctx context.Context) {
	if k == nil {
		return
	}
	k.purgeLocal()
	if k.l2 != nil {
		k.l2.purge(ctx, escapeGlob(k.base)+"*", message{Kind: k.name, All: true})
	}
}

// purgeLocal drops every in-process entry and keeps look-ups in flight from storing.
func (k *Kind[V]) purgeLocal() {
	k.epoch.Add(1)
	k.mem.Purge()
}
