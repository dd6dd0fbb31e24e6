//go:build invariants

package manual

import "testing"

func TestFreePoisons(t *testing.T) {
	b := New(100)
	for i := range b {
		b[i] = 1
	}
	Free(b)
	for i, c := range b {
		if c != poisonByte {
			t.Fatalf("byte %d is %#x after Free, want poison %#x", i, c, poisonByte)
		}
	}
}
