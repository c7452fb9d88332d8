package opgen

import (
	"hash/fnv"
	"math/rand/v2"
)

// byteSource is a rand.Source that reads fuzz input: each number's top byte is the next input byte, so
// that rand.IntN and rand.Float64 (which use the top bits) follow the input closely and a one-byte
// change of the input changes one choice. The low bits, and every number after the input, come from a
// PCG seeded with the input's hash, so the same input always gives the same numbers.
type byteSource struct {
	b    []byte
	rest *rand.PCG
}

func newByteSource(b []byte) *byteSource {
	h := fnv.New64a()
	_, _ = h.Write(b)
	s := h.Sum64()
	return &byteSource{b: b, rest: rand.NewPCG(s, s^0x9e3779b97f4a7c15)}
}

// Uint64 implements rand.Source.
func (s *byteSource) Uint64() uint64 {
	low := s.rest.Uint64()
	if len(s.b) == 0 {
		return low
	}
	top := s.b[0]
	s.b = s.b[1:]
	return uint64(top)<<56 | low>>8
}
