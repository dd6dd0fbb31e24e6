package crc

import (
	"math/rand/v2"
	"testing"
)

func TestCheckValue(t *testing.T) {
	if got := Checksum([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("check value = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
	if got := Checksum(nil); got != 0 {
		t.Fatalf("crc of empty = %#x, want 0", got)
	}
}

// bitwise is the textbook definition, used as the oracle.
func bitwise(p []byte) uint64 {
	var crc uint64
	for _, b := range p {
		crc ^= uint64(b)
		for i := 0; i < 8; i++ {
			if crc&1 == 1 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func TestMatchesBitwise(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed=%d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	for i := 0; i < 500; i++ {
		p := make([]byte, r.IntN(100))
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		if Checksum(p) != bitwise(p) {
			t.Fatalf("seed=%d len=%d: mismatch", seed, len(p))
		}
		// Split updates compose.
		k := 0
		if len(p) > 0 {
			k = r.IntN(len(p))
		}
		if Update(Update(0, p[:k]), p[k:]) != bitwise(p) {
			t.Fatalf("seed=%d: split update mismatch", seed)
		}
	}
}

func BenchmarkChecksum4K(b *testing.B) {
	p := make([]byte, 4096)
	b.SetBytes(4096)
	for b.Loop() {
		Checksum(p)
	}
}
