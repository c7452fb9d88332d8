package resolvers

import (
	"encoding/base64"
	"strings"
	"unsafe"
)

// Global ids (Relay's global object identification, the Node interface): the raw URL base64 of
// "<Type>:<key>", where key is the upstream's own key of the object (a user's or review's or order's
// id, a product's UPC). This file is the one place that knows the format; upstreams keep raw keys.

// Types with global ids: the Node implementations.
const (
	typeUser    = "User"
	typeProduct = "Product"
	typeReview  = "Review"
	typeOrder   = "Order"
)

// globalID returns the global id of the object of type typ with the upstream key key.
func globalID(typ, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + key))
}

// parseGlobalID returns the type and upstream key of a global id; ok is false for anything that is not
// the global id of an object of a Node type with a non-empty key (garbage, padded or standard base64,
// unknown types) or is not written as globalID writes it (the decoder skips newlines and ignores
// trailing bits; one object has one global id).
func parseGlobalID(id string) (typ, key string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != id {
		return "", "", false
	}
	typ, key, found := strings.Cut(string(raw), ":")
	if !found || key == "" {
		return "", "", false
	}
	switch typ {
	case typeUser, typeProduct, typeReview, typeOrder:
		return typ, key, true
	}
	return "", "", false
}

// keyOf returns the upstream key an id argument of type typ names: the key of a global id of typ, or
// the id itself when it is not a global id (raw ids stay accepted for compatibility). ok is false for
// the global id of another type: no object of typ has it.
func keyOf(typ, id string) (key string, ok bool) {
	t, k, isGlobal := parseGlobalID(id)
	if !isGlobal {
		return id, true
	}
	return k, t == typ
}

// globalIDs returns the global ids of objects of type typ, reading each one's key with key. It makes
// two allocations per batch, whatever its size (the reference query writes a few thousand ids): the
// ids are encoded into one buffer, never written again, that the strings share.
func globalIDs[T any](typ string, objs []*T, key func(*T) string) []string {
	enc := base64.RawURLEncoding
	size := 0
	var raw [128]byte
	for _, o := range objs {
		size += enc.EncodedLen(len(typ) + 1 + len(key(o)))
	}
	buf := make([]byte, size)
	out := make([]string, len(objs))
	at := 0
	for i, o := range objs {
		k := key(o)
		src := append(append(append(raw[:0], typ...), ':'), k...) // on the stack unless the key is long
		n := enc.EncodedLen(len(src))
		enc.Encode(buf[at:at+n], src)
		if n > 0 {
			out[i] = unsafe.String(&buf[at], n)
		}
		at += n
	}
	return out
}
