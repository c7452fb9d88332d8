package bufpool

import (
	"sync"
	"testing"
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

func TestPutThenGetReuses(t *testing.T) {
	var p Pool
	b := p.Get(3000) // class 4 KiB
	b = append(b, "some data"...)
	p.Put(b)
	// sync.Pool may drop what it holds (a GC), so only a reuse that happened is checked.
	got := p.Get(3000)
	if len(got) != 0 || cap(got) < 3000 {
		t.Fatalf("len %d cap %d", len(got), cap(got))
	}
	// A buffer is put in the largest class it serves whole: a 5000-byte capacity serves 4 KiB, not 8.
	p.Put(make([]byte, 0, 5000))
	if b := p.Get(8000); cap(b) < 8000 {
		t.Fatalf("Get(8000) gave cap %d", cap(b))
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
