// Package bufpool keeps byte buffers for reuse across requests: the engine writes each response's data
// into one, the HTTP handler hands it back once the response is written, so that a response costs no
// allocation of its size in the steady state (issue 12, "Write the response once, into a pooled
// buffer").
package bufpool

import (
	"math/bits"
	"sync"
)

// The size classes: powers of two from 256 bytes to 4 MiB. A buffer that grew beyond the largest is
// not kept, so that one huge response does not stay in memory.
const (
	minShift = 8
	maxShift = 22
)

// Pool is a set of buffers in power-of-two size classes. The zero value is ready to use; it is safe for
// concurrent use. A nil *Pool allocates on Get and keeps nothing on Put.
type Pool struct {
	classes [maxShift - minShift + 1]sync.Pool // of *[]byte, each holding a buffer of cap 1<<(i+minShift)
	holders sync.Pool                          // of empty *[]byte, so that Put allocates nothing
}

// Get returns an empty buffer whose capacity is at least size.
func (p *Pool) Get(size int) []byte {
	i := class(size)
	if p == nil || i > maxShift-minShift {
		return make([]byte, 0, size)
	}
	if h, ok := p.classes[i].Get().(*[]byte); ok {
		b := *h
		*h = nil
		p.holders.Put(h)
		return b[:0]
	}
	return make([]byte, 0, 1<<(i+minShift))
}

// Put hands b back for reuse. Nothing may use b (or a slice of it) afterwards.
func (p *Pool) Put(b []byte) {
	if p == nil || cap(b) < 1<<minShift {
		return
	}
	i := bits.Len(uint(cap(b))) - 1 - minShift // the largest class b can serve
	if i > maxShift-minShift {
		return
	}
	h, ok := p.holders.Get().(*[]byte)
	if !ok {
		h = new([]byte)
	}
	*h = b[:0]
	p.classes[i].Put(h)
}

// class is the index of the smallest size class that holds size bytes.
func class(size int) int {
	if size <= 1<<minShift {
		return 0
	}
	return bits.Len(uint(size-1)) - minShift
}
