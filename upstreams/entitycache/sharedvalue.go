package entitycache

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"reflect"
	"strings"
	"time"
)

// How the shared level lays out its values and versions its keys.

// valueFormat is the first byte of every value: the layout [format][expiry: 8 bytes, Unix ms, big
// endian][codec bytes]. A new layout takes a new byte.
const valueFormat = 1

// encodeValue lays out payload expiring at exp.
func encodeValue(payload []byte, exp time.Time) []byte {
	b := make([]byte, 9, 9+len(payload))
	b[0] = valueFormat
	binary.BigEndian.PutUint64(b[1:], uint64(exp.UnixMilli()))
	return append(b, payload...)
}

// decodeValue splits b into its payload and expiry; ok is false for another layout.
func decodeValue(b []byte) (payload []byte, exp time.Time, ok bool) {
	if len(b) < 9 || b[0] != valueFormat {
		return nil, time.Time{}, false
	}
	return b[9:], time.UnixMilli(int64(binary.BigEndian.Uint64(b[1:9]))), true
}

// shapeOf digests the shape of t as its JSON encoding sees it (field names, tags, kinds, recursively):
// the version in a kind's Redis keys, so that a change of a value type's shape is never misread as
// the old one.
func shapeOf(t reflect.Type) string {
	var b strings.Builder
	describe(&b, t, map[reflect.Type]bool{})
	h := fnv.New64a()
	h.Write([]byte(b.String()))
	return hex.EncodeToString(h.Sum(nil))[:8]
}

func describe(b *strings.Builder, t reflect.Type, seen map[reflect.Type]bool) {
	switch t.Kind() {
	case reflect.Pointer:
		b.WriteString("*")
		describe(b, t.Elem(), seen)
	case reflect.Slice, reflect.Array:
		b.WriteString("[]")
		describe(b, t.Elem(), seen)
	case reflect.Map:
		b.WriteString("map[")
		describe(b, t.Key(), seen)
		b.WriteString("]")
		describe(b, t.Elem(), seen)
	case reflect.Struct:
		if seen[t] {
			b.WriteString(t.String())
			return
		}
		seen[t] = true
		b.WriteString("{")
		for i := range t.NumField() {
			f := t.Field(i)
			b.WriteString(f.Name + " " + string(f.Tag) + " ")
			describe(b, f.Type, seen)
			b.WriteString(";")
		}
		b.WriteString("}")
	default:
		b.WriteString(t.Kind().String())
	}
}
