//go:build unix && !invariants

package manual

import "testing"

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
