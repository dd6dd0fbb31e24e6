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
// huge-page boundary, keep their length and capacity and come zeroed, and
// that Free unmaps them at once (none is kept for reuse).
func TestLargeAligned(t *testing.T) {
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
		largeMu.Lock()
		_, kept := large[addr]
		largeMu.Unlock()
		if kept {
			t.Fatalf("NewZeroed(%d): still mapped after Free", n)
		}
		// The range is unmapped: madvise fails with ENOMEM on it.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, addr, 4096, unix.MADV_NORMAL); errno != unix.ENOMEM {
			t.Fatalf("madvise on a freed buffer: %v, want ENOMEM (unmapped)", errno)
		}
	}
}
