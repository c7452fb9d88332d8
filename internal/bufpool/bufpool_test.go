package bufpool

import (
	"runtime/debug"
	"sync"
	"testing"
	"unsafe"
)

func TestGetCapacity(t *testing.T) {
	var p Pool
	for _, size := range []int{0, 1, 255, 256, 257, 1000, 4096, 4097, 1 << 22, 1<<22 + 1, 10 << 20} {
		b := p.Get(size)
		if len(b) != 0 || cap(b) < size {
			t.Errorf("Get(%d): len %d cap %d", size, len(b), cap(b))
		}
		p.Put(append(b, make([]byte, size)...))
	}
}

// TestPutThenGetReuses: a buffer put back is what a later Get of its class returns, and it goes to the
// largest class it serves whole (a 5000-byte capacity serves 4 KiB, not 8). sync.Pool may drop what it
// holds (a GC; at random under -race), so each check is tried until it is seen once, with the GC off.
func TestPutThenGetReuses(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var p Pool
	reused := false
	for range 100 {
		b := make([]byte, 0, 4096)
		p.Put(b)
		got := p.Get(3000)
		if len(got) != 0 || cap(got) < 3000 {
			t.Fatalf("Get(3000): len %d cap %d", len(got), cap(got))
		}
		if unsafe.SliceData(got[:1]) == unsafe.SliceData(b[:1]) {
			reused = true
			break
		}
	}
	if !reused {
		t.Error("a buffer put back was never handed out again")
	}
	placed := false
	for range 100 {
		p.Put(make([]byte, 0, 5000))
		if v := p.classes[class(8192)].Get(); v != nil {
			t.Fatalf("a 5000-byte buffer went to the 8 KiB class (cap %d)", cap(*v.(*[]byte)))
		}
		if v := p.classes[class(4096)].Get(); v != nil {
			placed = true
			break
		}
	}
	if !placed {
		t.Error("a 5000-byte buffer was never kept in the 4 KiB class")
	}
}

func TestTooSmallAndTooLargeAreNotKept(t *testing.T) {
	var p Pool
	p.Put(make([]byte, 0, 100))
	p.Put(make([]byte, 0, 8<<20))
	for i := range p.classes {
		if v := p.classes[i].Get(); v != nil {
			t.Fatalf("class %d kept a buffer of cap %d", i, cap(*v.(*[]byte)))
		}
	}
}

func TestNilPool(t *testing.T) {
	var p *Pool
	if b := p.Get(10); cap(b) < 10 {
		t.Fatal(cap(b))
	}
	p.Put(make([]byte, 0, 1024))
}

// TestConcurrentUse is a smoke test for go test -race: goroutines getting and putting buffers of every
// class at once, each checking that nobody else wrote into the buffer it holds.
func TestConcurrentUse(t *testing.T) {
	var p Pool
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				size := (g*977 + i*131) % 20000
				b := p.Get(size)
				for j := range size {
					b = append(b, byte(g))
					_ = j
				}
				for _, c := range b {
					if c != byte(g) {
						t.Errorf("buffer shared between goroutines")
						return
					}
				}
				p.Put(b)
			}
		}()
	}
	wg.Wait()
}

func BenchmarkGetPut(b *testing.B) {
	var p Pool
	b.ReportAllocs()
	for b.Loop() {
		buf := p.Get(90 << 10)
		buf = append(buf, 'x')
		p.Put(buf)
	}
}
