package crc

import (
	"github.com/tempestdb/tempest/internal/testutil"
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
				crc = crc>>1 ^ Poly
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func TestMatchesBitwise(t *testing.T) {
	seed := testutil.Seed(t)
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

// TestFoldingMatchesTable compares Update (folding with carry-less
// multiplication where the CPU has it) with the table method, over
// lengths around the folding thresholds, unaligned starts and random
// initial values.
func TestFoldingMatchesTable(t *testing.T) {
	if !useCLMUL {
		t.Log("no carry-less multiplication on this platform: Update is the table method")
	}
	seed := testutil.Seed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	buf := make([]byte, 9000)
	for j := range buf {
		buf[j] = byte(r.Uint32())
	}
	check := func(crc uint64, p []byte) {
		t.Helper()
		if got, want := Update(crc, p), updateTable(crc, p); got != want {
			t.Fatalf("seed=%d len=%d crc=%#x: Update %#x, table %#x", seed, len(p), crc, got, want)
		}
	}
	for n := 0; n <= 600; n++ {
		check(r.Uint64(), buf[r.IntN(8):][:n])
	}
	for range 300 {
		n := r.IntN(8192)
		check(r.Uint64(), buf[r.IntN(800):][:n])
	}
	// All-zero and all-ones inputs.
	for _, b := range []byte{0, 0xff} {
		p := make([]byte, 4096)
		for j := range p {
			p[j] = b
		}
		check(0, p)
		check(^uint64(0), p)
	}
	if useCLMUL {
		// The folding path agrees with the bitwise oracle too.
		p := buf[3:4099]
		if Checksum(p) != bitwise(p) {
			t.Fatalf("seed=%d: folding disagrees with the bitwise definition", seed)
		}
	}
}

func BenchmarkChecksum4KTable(b *testing.B) {
	p := make([]byte, 4096)
	b.SetBytes(4096)
	for b.Loop() {
		updateTable(0, p)
	}
}

// TestCombine checks Combine against Update over random splits, lengths
// from 0 past the folding threshold, and from any register.
func TestCombine(t *testing.T) {
	seed := testutil.Seed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := 0; i < 300; i++ {
		b := make([]byte, []int{0, 1, 7, 64, 200, 70000}[i%6]+r.IntN(3))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		c := r.Uint64()
		if i%5 == 0 {
			c = 0
		}
		if got, want := Combine(c, Update(0, b), int64(len(b))), Update(c, b); got != want {
			t.Fatalf("seed=%d: Combine(%#x, _, %d) = %#x, want %#x", seed, c, len(b), got, want)
		}
	}
}

func BenchmarkCombine4M(b *testing.B) {
	for b.Loop() {
		Combine(0x0123456789abcdef, 42, 4<<20)
	}
}
