//go:build !unix || invariants

package manual

import "github.com/tempestdb/tempest/internal/invariants"

// New returns a buffer of n bytes. See the package documentation.
func New(n int) []byte {
	if n <= 0 {
		return nil
	}
	b := make([]byte, n)
	if invariants.Enabled {
		fill(b, 0x5a) // contents are unspecified: do not let callers rely on zeros
	}
	return b
}

// NewZeroed is New with every byte zero.
func NewZeroed(n int) []byte {
	if n <= 0 {
		return nil
	}
	return make([]byte, n)
}

// Free gives b back. In invariants builds it poisons b.
func Free(b []byte) {
	if invariants.Enabled {
		fill(b[:cap(b)], poisonByte)
	}
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// FreeUnreachable is Free for a buffer nothing can reach any more (called
// from a cleanup): there is no one left to catch with poison.
func FreeUnreachable(b []byte) {}
