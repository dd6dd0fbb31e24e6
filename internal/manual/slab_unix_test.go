//go:build unix && !invariants

package manual

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestChunksUnmapped checks that freeing every buffer of a class gives its
// chunks back, but one.
func TestChunksUnmapped(t *testing.T) {
	const n = 3000 // class 3072: 341 slots per chunk, so 9 chunks
	c := classOf(n)
	count := func() int {
		chunksMu.RLock()
		defer chunksMu.RUnlock()
		k := 0
		for _, ch := range chunks {
			if ch.slot == classSize(c) {
				k++
			}
		}
		return k
	}
	before := count()
	bufs := make([][]byte, 3000)
	for i := range bufs {
		bufs[i] = New(n)
	}
	if got := count(); got < before+8 {
		t.Fatalf("%d chunks after 3000 allocations, want at least %d", got, before+8)
	}
	for _, b := range bufs {
		Free(b)
	}
	if got := count(); got > 1 {
		t.Fatalf("%d chunks of the class mapped after freeing everything, want at most 1", got)
	}
}

// TestLargeAligned checks that buffers of a huge page or more start on a
// huge-page boundary, keep their length and capacity, are reused after
// Free (the same size comes back from the spares), and that the spares
// stay bounded.
func TestLargeAligned(t *testing.T) {
	// Start without spares, whatever ran before: New hands out the oldest
	// spare of the size asked for.
	largeMu.Lock()
	old := spares
	spares = nil
	largeMu.Unlock()
	for _, lb := range old {
		if err := unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(lb.buf)), lb.size); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{hugePageSize, 3*hugePageSize + 4096, 5 << 20} {
		b := NewZeroed(n)
		if len(b) != n || cap(b) != n {
			t.Fatalf("NewZeroed(%d): len %d cap %d", n, len(b), cap(b))
		}
		addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		if addr%hugePageSize != 0 {
			t.Fatalf("NewZeroed(%d) at %#x: not huge-page aligned", n, addr)
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("byte %d of a fresh buffer is %d", i, b[i])
			}
		}
		b[0], b[n-1] = 1, 2
		Free(b)
		c := New(n)
		if uintptr(unsafe.Pointer(unsafe.SliceData(c))) != addr {
			t.Fatalf("New(%d) after Free did not reuse the spare", n)
		}
		Free(c)
	}
	// More frees than spares: the oldest mappings are unmapped.
	var bufs [][]byte
	for range maxSpares + 3 {
		bufs = append(bufs, New(hugePageSize))
	}
	for _, b := range bufs {
		Free(b)
	}
	largeMu.Lock()
	n := len(spares)
	largeMu.Unlock()
	if n > maxSpares {
		t.Fatalf("%d spares kept, want at most %d", n, maxSpares)
	}
}
