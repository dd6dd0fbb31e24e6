package sstable

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/zeebo/xxh3"
)

func TestBloomParams(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		p    float64
		m, k uint64
	}{
		{0, 0.01, 0, 0},
		{1, 0.01, 10, 7},
		{1000, 0.01, 9586, 7},
		{1000, 0.1, 4793, 4},
		{10, 1e-30, 1438, 64},            // k capped
		{1 << 40, 0.01, maxBloomBits, 1}, // m capped
	} {
		m, k := bloomParams(tc.n, tc.p)
		if m != tc.m || k != tc.k {
			t.Errorf("bloomParams(%d, %g) = m %d, k %d; want m %d, k %d", tc.n, tc.p, m, k, tc.m, tc.k)
		}
	}
}

// The bit layout is part of the format (doc.go, version 3): one block
// chosen by the hash's high half, k probes by double hashing of its low
// half.
func TestBloomBitLayout(t *testing.T) {
	f := newBloomFilter(1000, 5) // rounded up to 1024 bits: two blocks
	if f.m != 1024 || len(f.bits) != 128 || !f.blocked {
		t.Fatalf("filter of m %d, %d bytes, blocked %v", f.m, len(f.bits), f.blocked)
	}
	key := []byte("layout")
	f.add(key)
	want := make([]byte, 128)
	h := xxh3.Hash(key)
	block := (h >> 32) * 2 >> 32
	h1 := uint32(h)
	delta := h1>>17 | h1<<15
	for range 5 {
		b := block*512 + uint64(h1%512)
		want[b/8] |= 1 << (b % 8)
		h1 += delta
	}
	if !bytes.Equal(f.bits, want) {
		t.Fatalf("bits = %x\nwant %x", f.bits, want)
	}
}

// Version 2 filters (seeded) are still read: bit xxh3.HashSeed(key, i) % m
// for each i in [0, k).
func TestBloomSeededLayout(t *testing.T) {
	f := bloomFilter{bits: make([]byte, 125), k: 5, m: 1000}
	key := []byte("layout")
	for i := range uint64(5) {
		h := xxh3.HashSeed(key, i) % 1000
		f.bits[h/8] |= 1 << (h % 8)
	}
	if !f.mayContain(key) {
		t.Fatal("seeded filter misses its key")
	}
	fp := 0
	for i := range 1000 {
		if f.mayContain(bloomKey(i)) {
			fp++
		}
	}
	if fp > 10 {
		t.Fatalf("seeded filter of one key matched %d of 1000 others", fp)
	}
}

func bloomKey(i int) []byte { return []byte(fmt.Sprintf("bloom-key-%d", i)) }

func TestBloomNoFalseNegatives(t *testing.T) {
	for _, estimate := range []int{0, 1000, 10} { // buffered, sized, undersized
		var w bloomWriter
		w.init(true, 0.01, estimate)
		for i := range 1000 {
			w.add(bloomKey(i))
		}
		f := w.finish()
		for i := range 1000 {
			if !f.mayContain(bloomKey(i)) {
				t.Fatalf("estimate %d: key %d missing", estimate, i)
			}
		}
	}
}

func TestBloomFalsePositiveRate(t *testing.T) {
	for _, p := range []float64{0.01, 0.05} {
		var w bloomWriter
		w.init(true, p, 0)
		for i := range 10000 {
			w.add(bloomKey(i))
		}
		f := w.finish()
		fp := 0
		for i := 10000; i < 20000; i++ {
			if f.mayContain(bloomKey(i)) {
				fp++
			}
		}
		if rate := float64(fp) / 10000; rate > 1.5*p || rate < p/3 {
			t.Errorf("target %g: false-positive rate %g", p, rate)
		}
	}
}

func TestBloomEmpty(t *testing.T) {
	var f bloomFilter
	if f.mayContain(nil) || f.mayContain([]byte("a")) {
		t.Fatal("zero filter matched")
	}
	var w bloomWriter
	w.init(true, 0.01, 100)
	if f := w.finish(); f.m != 0 || f.k != 0 || len(f.bits) != 0 || f.mayContain([]byte("a")) {
		t.Fatalf("empty writer gave %+v", f)
	}
	w.init(false, 0.01, 100)
	w.add([]byte("a"))
	if f := w.finish(); f.m != 0 || f.mayContain([]byte("a")) {
		t.Fatalf("disabled writer gave %+v", f)
	}
}

// Both sizing modes produce the same filter for the same count, and equal
// consecutive prefixes are inserted once.
func TestBloomModesAgree(t *testing.T) {
	var buffered, sized bloomWriter
	buffered.init(true, 0.01, 0)
	sized.init(true, 0.01, 300)
	for i := range 900 {
		k := bloomKey(i / 3)
		buffered.add(k)
		sized.add(k)
	}
	if buffered.n != 300 || sized.n != 300 {
		t.Fatalf("distinct prefixes: buffered %d, sized %d, want 300", buffered.n, sized.n)
	}
	a, b := buffered.finish(), sized.finish()
	if a.m != b.m || a.k != b.k || !bytes.Equal(a.bits, b.bits) {
		t.Fatal("buffered and sized filters differ")
	}
}

func TestBloomPrefixFixedSuffix(t *testing.T) {
	cmp := base.FixedSuffixComparer(8)
	var w bloomWriter
	w.init(true, 0.01, 0)
	key := func(row int, ts uint64) []byte {
		return binary.BigEndian.AppendUint64([]byte(fmt.Sprintf("row%d", row)), ts)
	}
	for row := range 100 {
		for ts := uint64(5); ts > 0; ts-- {
			w.add(cmp.Prefix(key(row, ts)))
		}
	}
	if w.n != 100 {
		t.Fatalf("%d distinct prefixes, want 100", w.n)
	}
	f := w.finish()
	for row := range 100 {
		// Any version, even one never written, shares the prefix.
		if !f.mayContain(cmp.Prefix(key(row, 99))) {
			t.Fatalf("row %d missing", row)
		}
	}
}
